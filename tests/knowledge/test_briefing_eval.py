"""The briefing evaluation's scoring: a key metric is right with the expected figure or a rightful
gap, off its metric when the claim quotes anything else; questions and PoC tests belong to the
scenario when they hold its markers and no other's; `make eval` runs the set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.api import Answer, Attachment
from knowledge.domain.criteria import load_criteria
from knowledge.domain.topics import load_scenario_book
from knowledge.evaluation.briefings import (
    BriefingExpectation,
    MetricOutcome,
    _claims,
    _items,
    load_briefings,
)
from knowledge.evaluation.corpora import load_registry
from knowledge.evaluation.questions import EvalSetError

ROOT = Path(__file__).resolve().parents[2]
SET = ROOT / "knowledge" / "eval" / "briefings.json"

DOCUMENT = """# Briefing: Skylark Cloud · Voice chat rooms and game voice

## What Skylark Cloud's documents claim

- Latency and connect time: Skylark Cloud states: “a median connect time of 280 ms” [1]
- Scale per room: Skylark Cloud states: “80,000 viewers in a single room” [2]

## Gaps

- Pricing model: not addressed in Skylark Cloud's documents

## Questions to ask

- How long from a listener tapping a mic seat until the room hears them?

## PoC tests

- Whiteboard: draw and turn pages while teacher and students talk.
"""


def _expected(metrics: dict[str, tuple[str, ...]]) -> BriefingExpectation:
    return BriefingExpectation(
        "Skylark Cloud voice room", "Skylark Cloud", "voice_room", "en", tuple(metrics.items())
    )


def test_metrics_are_scored_right_missed_or_off_metric() -> None:
    assert MetricOutcome("t", "latency", ("280 ms",), "connect time of 280 ms").right
    missed = MetricOutcome("t", "latency", ("280 ms",), "")
    assert not missed.right and not missed.off_metric
    off = MetricOutcome("t", "latency", ("280 ms",), "9 regions")
    assert off.off_metric
    assert MetricOutcome("t", "pricing", (), "").right
    assert MetricOutcome("t", "pricing", (), "USD 0.79").off_metric


def test_claims_and_items_are_read_back_from_the_markdown_briefing() -> None:
    answer = Answer(title="t", attachments=(Attachment("b.md", DOCUMENT),), lang="en")
    expected = _expected({"latency": ("280 ms",), "scale": ("80,000",), "pricing": ()})
    claims = _claims(answer, load_criteria(), expected)
    assert "280 ms" in claims["latency"] and "80,000" in claims["scale"]
    assert claims["pricing"] == ""
    markers = {"voice_room": ("mic seat",), "education": ("whiteboard",)}
    items = _items(answer, load_criteria(), expected, markers)
    assert items.own and items.foreign == ("whiteboard",) and not items.right


def test_the_set_covers_each_briefings_key_metrics_and_every_scenario() -> None:
    briefings, markers = load_briefings(SET)
    criteria = load_criteria()
    scenarios = {scenario.id for scenario in load_scenario_book().scenarios}
    assert set(markers) == scenarios
    assert {b.scenario for b in briefings} == scenarios
    assert {"Skylark Cloud", "QueqiaoRTC"} <= {b.vendor for b in briefings}
    assert {b.lang for b in briefings} == {"en", "zh"}
    for briefing in briefings:
        wanted = {c.id for c in criteria.for_scenario(briefing.scenario)}
        assert {metric for metric, _ in briefing.metrics} == wanted, briefing.topic
    assert sum(1 for b in briefings for _, strings in b.metrics if strings) >= 40


def test_each_scenarios_markers_are_in_its_own_items_and_no_others() -> None:
    _, markers = load_briefings(SET)
    for scenario in load_scenario_book().scenarios:
        for lang in ("en", "zh"):
            text = " ".join((*scenario.questions(lang), *scenario.poc_tests(lang))).casefold()
            assert any(m.casefold() in text for m in markers[scenario.id]), (scenario.id, lang)
            for other, strings in markers.items():
                if other != scenario.id:
                    assert not any(m.casefold() in text for m in strings), (scenario.id, other)


def test_a_malformed_set_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    path.write_text(json.dumps({"briefings": []}), "utf-8")
    with pytest.raises(EvalSetError, match="expected"):
        load_briefings(path)
    path.write_text(json.dumps({"briefings": [{"topic": "x"}], "scenario_markers": {}}), "utf-8")
    with pytest.raises(EvalSetError, match="needs topic"):
        load_briefings(path)


def test_the_comparison_corpus_carries_the_briefing_set() -> None:
    corpus = load_registry()["comparisons"]
    assert corpus.briefings == (SET,) and corpus.missing() == []
