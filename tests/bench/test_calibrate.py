"""The threshold calibration's grid: every combination, defaults elsewhere, bad names refused,
and held-out corpora refused unless asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.calibrate import Tally, combinations, main, parse_grid
from knowledge.answering.reader import Thresholds


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
