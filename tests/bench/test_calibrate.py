"""The threshold calibration's grid: every combination, defaults elsewhere, bad names refused,
and held-out corpora refused unless asked for."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.calibrate import Retrieved, Tally, combinations, main, parse_grid, tally
from knowledge.answering.reader import Thresholds
from knowledge.domain import load_domain
from knowledge.evaluation.questions import EvalQuestion
from knowledge.retrieval.retriever import Hit, Retrieval
from store.schema import Chunk


def test_grid_is_every_combination_with_the_other_thresholds_at_their_defaults() -> None:
    grid = combinations(parse_grid(["strong_cosine=0.89,0.9", "weak_cosine=0.8,0.81,0.82"]))
    assert len(grid) == 6
    assert {(t.strong_cosine, t.weak_cosine) for t in grid} == {
        (s, w) for s in (0.89, 0.9) for w in (0.8, 0.81, 0.82)
    }
    assert {t.cross_cosine for t in grid} == {Thresholds().cross_cosine}


def test_no_grid_is_the_defaults_alone() -> None:
    assert combinations(parse_grid([])) == [Thresholds()]


@pytest.mark.parametrize("pair", ["strongest=0.9", "strong_cosine=", "strong_cosine"])
def test_a_bad_grid_entry_is_refused_with_the_names_it_could_be(pair: str) -> None:
    with pytest.raises(SystemExit, match="strong_cosine"):
        parse_grid([pair])


def test_points_weigh_a_right_abstention_twice() -> None:
    assert Tally(hits=3, answerable=5, abstained_right=2, must_abstain=2).points == 7


def test_points_weigh_a_right_abstention_in_the_other_language_twice_too() -> None:
    tallied = Tally(3, 5, 2, 2, other_right=1, other_must=2)
    assert tallied.points == 3 + 2 * 3


class _StandIn:
    """What `tally` reads of an assistant: the store's idf and the domain's criteria."""

    def __init__(self) -> None:
        lexical = SimpleNamespace(idf=lambda term: 1.0)
        self.retriever = SimpleNamespace(
            index=SimpleNamespace(snapshot=lambda: SimpleNamespace(lexical=lexical))
        )
        self.domain = load_domain()


def test_a_must_abstain_question_asked_of_the_other_language_is_tallied_apart() -> None:
    question = EvalQuestion("n1", "What is the weather in Paris?", False, (), ())
    nothing = Retrieval(query=question.question, hits=())
    weather = Chunk(
        text="天气预报说巴黎明天下雨，气温十五度。", source="x.md", chunk_index=0, lang="zh"
    )
    close = Retrieval(query=question.question, hits=(Hit(weather, 1.0, 0.99, 0.0),))
    tallied = tally(
        _StandIn(),
        [
            Retrieved(question, nothing, {}),
            Retrieved(question, nothing, {}, other_language=True),
            Retrieved(question, close, {}, other_language=True),
        ],
        Thresholds(),
    )
    assert (tallied.abstained_right, tallied.must_abstain) == (1, 1)
    assert (tallied.other_right, tallied.other_must) == (1, 2)
    assert tallied.missed == ("n1(other language)",)


def test_a_held_out_corpus_is_refused_unless_asked_for(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    questions = tmp_path / "q.json"
    questions.write_text("[]", "utf-8")
    registry = tmp_path / "corpora.json"
    registry.write_text(
        json.dumps(
            {
                "_base": str(tmp_path),
                "held": {
                    "root": str(tmp_path),
                    "docs": ["docs"],
                    "questions": ["q.json"],
                    "held_out": True,
                },
            }
        ),
        "utf-8",
    )
    with pytest.raises(SystemExit, match="held out"):
        main(["--registry", str(registry), "--corpus", "held"])


def test_an_unknown_corpus_is_refused_with_the_known_names(tmp_path: Path) -> None:
    registry = tmp_path / "corpora.json"
    registry.write_text(json.dumps({"_base": str(tmp_path), "mine": {"docs": ["d"]}}), "utf-8")
    with pytest.raises(SystemExit, match="unknown corpus nope; known: mine"):
        main(["--registry", str(registry), "--corpus", "nope"])
