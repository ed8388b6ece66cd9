"""The comparison evaluation's scoring: a cell is right with an expected figure or a rightful
"not stated", and off its criterion when it quotes anything else; `make eval` runs the set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.api import Answer, Attachment
from knowledge.domain.criteria import load_criteria
from knowledge.evaluation.comparisons import (
    CellExpectation,
    CellOutcome,
    _cells,
    load_expectations,
)
from knowledge.evaluation.corpora import load_registry
from knowledge.evaluation.questions import EvalSetError

ROOT = Path(__file__).resolve().parents[2]


def test_cells_are_scored_right_missed_or_off_criterion() -> None:
    figure = CellExpectation("Skylark Cloud", "latency", ("280 ms",))
    nothing = CellExpectation("Skylark Cloud", "compliance", ())
    assert CellOutcome(figure, "Skylark Cloud offers a connect time of 280 ms.").right
    missed = CellOutcome(figure, "")
    assert not missed.right and not missed.off_criterion
    off = CellOutcome(figure, "Skylark Cloud operates in 9 regions.")
    assert not off.right and off.off_criterion
    assert CellOutcome(nothing, "").right
    assert CellOutcome(nothing, "Skylark Cloud is GDPR-ready.").off_criterion


def test_the_set_covers_every_comparison_criterion_of_each_vendor() -> None:
    cells = load_expectations(ROOT / "knowledge" / "eval" / "comparisons.json")
    criteria = {criterion.id for criterion in load_criteria().comparison}
    vendors = {cell.vendor for cell in cells}
    assert len(vendors) >= 14 and {"Skylark Cloud", "QueqiaoRTC"} <= vendors
    for vendor in vendors:
        assert {c.criterion for c in cells if c.vendor == vendor} == criteria, vendor
    assert sum(1 for c in cells if c.expect_any) >= 40  # figures, not only "not stated"


def test_a_malformed_set_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    path.write_text(json.dumps({"vendors": []}), "utf-8")
    with pytest.raises(EvalSetError, match="expected"):
        load_expectations(path)


def test_cells_are_read_back_from_the_csv_table() -> None:
    table = (
        "criterion,vendor,statement,citation,source,section\n"
        "Latency and connect time,A,“280 ms”,1,a.html,\n"
        "Latency and connect time,B,not stated in B's documents,,,\n"
    )
    answer = Answer(title="t", attachments=(Attachment("c.csv", table, "text/csv"),))
    assert _cells(answer) == {
        ("Latency and connect time", "A"): "“280 ms”",
        ("Latency and connect time", "B"): "",
    }


def test_the_comparison_corpus_is_registered_with_its_vendor_documents() -> None:
    corpus = load_registry()["comparisons"]
    assert corpus.missing() == []
    assert corpus.comparisons and corpus.vendor_docs and not corpus.questions
