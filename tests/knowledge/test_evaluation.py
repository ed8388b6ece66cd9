"""The evaluation harness on tiny data written here: scoring rules, question formats,
annotations, the corpus registry and the command line (no model, no store)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from knowledge.api import Answer, Citation
from knowledge.evaluation.corpora import load_registry
from knowledge.evaluation.metrics import (
    Outcome,
    answer_hit,
    citations_valid,
    failures,
    normalise,
    score,
)
from knowledge.evaluation.options import add_arguments
from knowledge.evaluation.questions import (
    EvalQuestion,
    EvalSetError,
    annotate,
    load_any,
    load_short_questions,
)
from knowledge.evaluation.suite import with_languages


def question(
    qid: str = "q1",
    *,
    answerable: bool = True,
    expect_any: tuple[str, ...] = ("5Mbps",),
    sources: tuple[str, ...] = ("faq.md",),
    cross: bool = False,
    abstain_kind: str = "",
    kind: str = "",
) -> EvalQuestion:
    """One question with sensible defaults."""
    return EvalQuestion(
        id=qid,
        question="what bitrate?",
        answerable=answerable,
        expect_sources=sources if answerable else (),
        expect_any=expect_any if answerable else (),
        kind=kind,
        cross_lingual=cross,
        abstain_kind=abstain_kind,
    )


def outcome(
    q: EvalQuestion,
    text: str = "",
    *,
    abstained: bool = False,
    sources: tuple[str, ...] = ("docs/faq.md",),
    seconds: float = 0.01,
) -> Outcome:
    """What a system returned: the answer cites the first source with a quote of chunk c1."""
    citations = () if abstained else (Citation(1, sources[0], "t", "", "c1", "the quote"),)
    return Outcome(
        question=q,
        sources=sources,
        answer=Answer(text=text, citations=citations, abstained=abstained),
        seconds=seconds,
        cited=tuple(c.source for c in citations),
    )


def chunks(chunk_id: str) -> str | None:
    """The store: one chunk, c1."""
    return "before the quote after" if chunk_id == "c1" else None


# --------------------------------------------------------------------------- normalisation


def test_normalise_folds_width_case_and_every_space() -> None:
    assert normalise("５ Mbps") == "5mbps"
    assert normalise("1 到 3\u3000秒\n") == "1到3秒"
    assert normalise("ＡＢＣ") == "abc"


def test_answer_hit_compares_normalised_strings() -> None:
    q = question(expect_any=("1到3秒", "100 ms"))
    assert answer_hit(outcome(q, "延迟一般在 1 到 3 秒 [1]"))
    assert answer_hit(outcome(q, "WebRTC gets 100ms [1]"))
    assert answer_hit(outcome(question(expect_any=("5Mbps",)), "capped at ５ MBPS [1]"))
    assert not answer_hit(outcome(q, "about a second [1]"))


def test_an_abstention_is_never_a_hit_even_when_it_repeats_the_words() -> None:
    q = question(expect_any=("5Mbps",))
    assert not answer_hit(outcome(q, "nothing on 5Mbps here", abstained=True))


# --------------------------------------------------------------------------- score


def test_score_counts_cross_lingual_hits_apart() -> None:
    plain = question("a")
    cross = question("b", cross=True)
    cross_miss = question("c", cross=True)
    result = score(
        [
            outcome(plain, "5 Mbps [1]"),
            outcome(cross, "5Mbps [1]"),
            outcome(cross_miss, "no figure [1]"),
        ],
        chunks,
    )
    assert result["n_cross_lingual"] == 2
    assert result["cross_lingual_hit_rate"] == 0.5
    assert result["answer_hit_rate"] == round(2 / 3, 4)


def test_score_accounts_out_of_domain_and_near_domain_abstentions_separately() -> None:
    outcomes = [
        outcome(question("o1", answerable=False, abstain_kind="out-of-domain"), "", abstained=True),
        outcome(question("o2", answerable=False, abstain_kind="out-of-domain"), "", abstained=True),
        outcome(question("n1", answerable=False, abstain_kind="near-domain"), "we cover it [1]"),
        outcome(question("n2", answerable=False, abstain_kind="near-domain"), "", abstained=True),
        outcome(question("u1", answerable=False), "", abstained=True),  # not annotated
        outcome(question("a1"), "", abstained=True),  # an answerable one, wrongly refused
    ]
    result = score(outcomes, chunks)
    assert (result["n_out_of_domain"], result["abstain_out_of_domain"]) == (2, 1.0)
    assert (result["n_near_domain"], result["abstain_near_domain"]) == (2, 0.5)
    assert (result["n_abstain"], result["abstain_rate"]) == (5, 0.8)
    assert result["wrongly_abstained"] == 1.0
    assert result["abstention_accuracy"] == round(4 / 6, 4)


def test_groups_without_questions_are_none_not_zero() -> None:
    result = score([outcome(question(), "5Mbps [1]")], chunks)
    assert result["cross_lingual_hit_rate"] is None
    assert result["abstain_near_domain"] is None
    assert result["abstain_out_of_domain"] is None


def test_score_keeps_the_design_fields_and_adds_source_length_and_breakdowns() -> None:
    q_en = EvalQuestion("e", "q", True, ("faq.md",), ("5mbps",), lang="en", kind="number")
    q_zh = EvalQuestion("z", "问", True, ("other.md",), ("x",), lang="zh", kind="fact")
    result = score(
        [
            outcome(q_en, "12345 5Mbps [1]", sources=("docs/faq.md",), seconds=0.010),
            outcome(q_zh, "1234567 [1]", sources=("docs/faq.md", "docs/other.md"), seconds=0.030),
        ],
        chunks,
    )
    design = {"n", "recall_at_5", "mrr", "answer_hit_rate", "abstention_accuracy"}
    design |= {"citation_validity", "p50_ms", "p95_ms"}
    assert design <= set(result)
    assert result["recall_at_5"] == 1.0
    assert result["mrr"] == 0.75  # rank 1 and rank 2
    assert result["source_rate"] == 0.5  # the second answer cites faq.md, not other.md
    assert result["median_answer_chars"] == 13  # of 15 and 11 characters
    assert result["p50_ms"] == 20.0
    assert result["by_lang"] == {"en": {"n": 1, "hit": 1.0}, "zh": {"n": 1, "hit": 0.0}}
    assert result["by_kind"] == {"fact": {"n": 1, "hit": 0.0}, "number": {"n": 1, "hit": 1.0}}


def test_citation_validity_checks_the_quote_against_the_store() -> None:
    good = Answer("x [1]", (Citation(1, "s", "t", "", "c1", "the quote"),))
    invented = Answer("x [1]", (Citation(1, "s", "t", "", "c1", "a quote never written"),))
    unknown = Answer("x [1]", (Citation(1, "s", "t", "", "c9", "the quote"),))
    dangling = Answer("x [2]", (Citation(1, "s", "t", "", "c1", "the quote"),))
    assert citations_valid(good, chunks)
    assert not citations_valid(invented, chunks)
    assert not citations_valid(unknown, chunks)
    assert not citations_valid(dangling, chunks)


def test_failures_name_the_reason() -> None:
    lines = failures(
        [
            outcome(question("r"), "5Mbps", sources=("docs/else.md",)),
            outcome(question("a"), "", abstained=True),
            outcome(question("h"), "no figure"),
            outcome(question("x", answerable=False), "an answer"),
            outcome(question("ok"), "5Mbps"),
        ]
    )
    assert [line.split(":")[0] for line in lines] == ["r", "a", "h", "x"]
    assert "abstained" in lines[1] and "lacks" in lines[2] and "should abstain" in lines[3]


# --------------------------------------------------------------------------- formats


def write(path: Path, data: object) -> Path:
    """Write JSON and return the path."""
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


SHORT = [
    {"id": "s1", "q": "多少码率?", "lang": "zh", "source": "faq", "any": ["5Mbps"]},
    {"id": "s2", "q": "Which port?", "lang": "en", "source": "srt", "any": ["8189"]},
    {"id": "s3", "q": "Who won?", "lang": "en", "source": "", "any": []},
]
for _item, _kind in zip(SHORT, ("number", "cross-lingual", "abstain"), strict=True):
    _item["kind"] = _kind


def test_short_format_maps_kind_to_answerable_and_cross_lingual(tmp_path: Path) -> None:
    questions = load_short_questions(write(tmp_path / "q.json", SHORT))
    assert [q.answerable for q in questions] == [True, True, False]
    assert [q.cross_lingual for q in questions] == [False, True, False]
    assert questions[0].expect_sources == ("faq",) and questions[2].expect_sources == ()
    assert questions[0].lang == "zh" and questions[1].kind == "cross-lingual"


def test_load_any_tells_the_formats_apart_and_reads_a_header(tmp_path: Path) -> None:
    design = [{"id": "d1", "question": "q?", "answerable": False}]
    assert load_any(write(tmp_path / "d.json", design))[0].id == "d1"
    wrapped = {"_comment": "held out; repo@commit", "questions": SHORT}
    assert [q.id for q in load_any(write(tmp_path / "w.json", wrapped))] == ["s1", "s2", "s3"]
    with pytest.raises(EvalSetError, match="lacks"):
        load_any(write(tmp_path / "bad.json", [{"id": "x", "q": "no kind"}]))


def test_annotations_mark_abstain_kinds_and_reject_nonsense(tmp_path: Path) -> None:
    questions = load_short_questions(write(tmp_path / "q.json", SHORT))
    notes = {"s3": {"abstain": "near-domain"}, "other-part": {"abstain": "out-of-domain"}}
    marked = annotate(questions, write(tmp_path / "a.json", notes))
    assert [q.abstain_kind for q in marked] == ["", "", "near-domain"]
    with pytest.raises(EvalSetError, match="answerable"):
        annotate(questions, write(tmp_path / "b.json", {"s1": {"abstain": "near-domain"}}))
    with pytest.raises(EvalSetError, match="one of"):
        annotate(questions, write(tmp_path / "c.json", {"s3": {"abstain": "maybe"}}))


def test_languages_are_derived_when_the_set_does_not_say() -> None:
    english_about_chinese = EvalQuestion("e", "What latency?", True, ("notes-zh",), ("x",))
    chinese_about_chinese = EvalQuestion("z", "延迟是多少?", True, ("notes-zh",), ("x",))
    english_about_both = EvalQuestion("b", "What latency?", True, ("guide",), ("x",))
    marked = EvalQuestion("m", "延迟?", True, ("guide",), ("x",), "zh", "cross-lingual", True)
    filled = with_languages(
        [english_about_chinese, chinese_about_chinese, english_about_both, marked],
        {"a/notes-zh.md": {"zh"}, "a/guide.md": {"en", "zh"}},
    )
    assert [q.lang for q in filled] == ["en", "zh", "en", "zh"]
    assert [q.cross_lingual for q in filled] == [True, False, False, True]


# --------------------------------------------------------------------------- registry and CLI


def test_registry_resolves_roots_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "repo" / "sets").mkdir(parents=True)
    (tmp_path / "elsewhere" / "docs").mkdir(parents=True)
    registry = write(
        tmp_path / "repo" / "sets" / "corpora.json",
        {
            "_base": "..",
            "mine": {
                "root": "../corpus-x",
                "docs": ["docs"],
                "questions": ["{root}/q.json", "sets/extra.json"],
                "held_out": True,
                "store": "other",
            },
        },
    )
    corpus = load_registry(registry)["mine"]
    assert corpus.root == (tmp_path / "corpus-x").resolve()
    assert corpus.questions == (
        (tmp_path / "corpus-x" / "q.json").resolve(),
        (tmp_path / "repo" / "sets" / "extra.json").resolve(),
    )
    assert corpus.held_out and corpus.store == "other"
    assert corpus.missing()  # nothing there
    moved = load_registry(registry, {"mine": tmp_path / "elsewhere"})["mine"]
    assert moved.docs == ((tmp_path / "elsewhere" / "docs").resolve(),)
    assert moved.source_name(str(tmp_path / "elsewhere" / "docs" / "a" / "b.md")) == "a/b.md"
    with pytest.raises(EvalSetError, match="unknown corpus"):
        load_registry(registry, {"nope": tmp_path})


def test_the_project_registry_names_present_corpora_by_data_only() -> None:
    corpora = load_registry()
    assert "bundled" in corpora and not corpora["bundled"].missing()
    for corpus in corpora.values():
        assert corpus.questions or corpus.comparisons, corpus.name  # something to score
        for annotation in corpus.annotations:
            assert annotation.is_file(), annotation


def test_eval_options_parse() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--corpus", "a", "--corpus", "b", "--corpus-dir", "a=/x", "--misses", "--no-baseline"]
    )
    assert args.corpus == ["a", "b"] and args.corpus_dir == ["a=/x"]
    assert args.misses and args.no_baseline


def test_without_the_registry_file_the_bundled_set_is_still_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from knowledge.evaluation import corpora

    monkeypatch.setattr(corpora, "DEFAULT_REGISTRY", tmp_path / "absent.json")
    found = corpora.load_registry(tmp_path / "absent.json")
    assert list(found) == ["bundled"]
    assert found["bundled"] == load_registry()["bundled"]


class FakeChunks:
    """A chunk collection that knows the source of two chunks."""

    def get(self, ids: list[str], include: list[str]) -> dict[str, list[object]]:
        """Chroma's `get` shape, for the ids it has."""
        sources = {"c1": "/corpus/docs/a/faq.md", "c2": "/corpus/docs/b/other.md"}
        known = [i for i in ids if i in sources]
        return {"ids": known, "metadatas": [{"source": sources[i]} for i in known]}


def test_cited_sources_come_from_the_store_not_the_citation_url() -> None:
    from knowledge.evaluation.runner import with_stored_sources

    q = question(sources=("faq.md",))
    cited_by_url = Outcome(
        question=q,
        sources=("a/faq.md",),
        answer=Answer("5Mbps [1]", (Citation(1, "https://example.com/faq", "t", "", "c1", "q"),)),
        seconds=0.0,
        cited=("https://example.com/faq",),
    )
    store = type("Store", (), {"chunks": FakeChunks()})()
    [fixed] = with_stored_sources(store, [cited_by_url], lambda s: s.removeprefix("/corpus/docs/"))
    assert fixed.cited == ("a/faq.md",)
    assert score([cited_by_url], chunks)["source_rate"] == 0.0
    assert score([fixed], chunks)["source_rate"] == 1.0


def test_all_runs_present_corpora_skips_absent_and_held_out_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from knowledge.evaluation import cli
    from knowledge.evaluation.suite import CorpusResult

    for name in ("here", "held"):
        (tmp_path / name / "docs").mkdir(parents=True)
        write(tmp_path / name / "q.json", SHORT)
    registry = write(
        tmp_path / "corpora.json",
        {
            "here": {"root": "here", "docs": ["docs"], "questions": ["{root}/q.json"]},
            "gone": {"root": "gone", "docs": ["docs"], "questions": ["{root}/q.json"]},
            "held": {"root": "held", "docs": ["docs"], "questions": ["{root}/q.json"],
                     "held_out": True},
        },
    )  # fmt: skip
    ran: list[tuple[str, tuple[Path, ...]]] = []

    def fake(settings: object, corpus: object, baseline: bool) -> CorpusResult:
        ran.append((corpus.name, corpus.questions))  # type: ignore[attr-defined]
        return CorpusResult(corpus.name, {}, None, ())  # type: ignore[attr-defined]

    monkeypatch.setattr(cli, "evaluate_corpus", fake)
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=None)
    add_arguments(parser)

    def run(*argv: str) -> list[str]:
        ran.clear()
        cli._results(None, parser.parse_args(["--registry", str(registry), *argv]))  # type: ignore[arg-type]
        return [name for name, _ in ran]

    assert run("--corpus", "all") == ["here"]
    assert "gone: skipped, not present" in capsys.readouterr().err
    assert run("--corpus", "held") == ["held"]
    other = write(tmp_path / "other.json", SHORT[:1])
    assert run("--corpus", "here", "--questions", str(other)) == ["here"]
    assert ran[0][1] == (other,)
    with pytest.raises(EvalSetError, match="one --corpus"):
        run("--corpus", "here", "--corpus", "held", "--questions", str(other))
    with pytest.raises(EvalSetError, match="unknown corpus"):
        run("--corpus", "nope")
    with pytest.raises(EvalSetError, match="NAME=DIR"):
        run("--corpus-dir", "here")


def test_json_is_the_design_object_for_one_corpus_and_keyed_for_several() -> None:
    from knowledge.evaluation.cli import as_json
    from knowledge.evaluation.suite import CorpusResult

    metrics = score([outcome(question(), "5Mbps [1]")], chunks)
    one = CorpusResult("a", metrics, metrics, ())
    single = as_json([one])
    assert single["corpus"] == "a" and single["n"] == 1 and single["baseline"]["n"] == 1
    several = as_json([one, CorpusResult("b", metrics, None, ())])
    assert set(several["corpora"]) == {"a", "b"}
    assert "baseline" not in several["corpora"]["b"]
    json.dumps(several)  # plain JSON all the way down
