"""The briefing evaluation: vendors × scenarios, each briefing expected to quote, per key metric of
its scenario, the vendor's own figure (any of a few strings, either language) or to list the
metric as a gap ("not stated"); and its questions and PoC tests expected to be the scenario's.

Briefings are run as users run them (`brief "<vendor> <scenario>"`) and read back from their
Markdown attachment. A metric is right when the claims section quotes an expected string on it,
or, where nothing is expected, quotes nothing on it; a claim is off its metric when it quotes a
sentence holding none of them. The questions and PoC tests belong to the scenario when they hold
one of the scenario's marker strings and none of another scenario's.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from knowledge.api import Answer, Assistant
from knowledge.domain.criteria import CriteriaBook
from knowledge.evaluation.questions import EvalSetError
from knowledge.messages import message


@dataclass(frozen=True, slots=True)
class BriefingExpectation:
    """One briefing: its topic, the vendor, the scenario, and per key metric the strings any of
    which its claim must hold (() for "not stated")."""

    topic: str
    vendor: str
    scenario: str
    lang: str
    metrics: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class MetricOutcome:
    """What one briefing claimed on one key metric ("" when it listed it as a gap)."""

    topic: str
    metric: str
    expect_any: tuple[str, ...]
    statement: str

    @property
    def right(self) -> bool:
        """The expected figure, or rightly nothing."""
        if not self.expect_any:
            return not self.statement
        return any(text in self.statement for text in self.expect_any)

    @property
    def off_metric(self) -> bool:
        """A claim that states none of what the metric should."""
        return bool(self.statement) and not self.right


@dataclass(frozen=True, slots=True)
class ItemsOutcome:
    """Whether a briefing's questions and PoC tests are its scenario's."""

    topic: str
    own: bool  # hold one of the scenario's markers
    foreign: tuple[str, ...]  # markers of other scenarios they hold

    @property
    def right(self) -> bool:
        """The scenario's own items, and none of another's."""
        return self.own and not self.foreign


def load_briefings(path: Path) -> tuple[list[BriefingExpectation], dict[str, tuple[str, ...]]]:
    """Read a briefing set (see knowledge/eval/briefings.json): the briefings, and each
    scenario's marker strings."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise EvalSetError(f"cannot read the briefing set {path}: {error}") from None
    entries = raw.get("briefings") if isinstance(raw, dict) else None
    markers = raw.get("scenario_markers") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries or not isinstance(markers, dict):
        raise EvalSetError(f"{path}: expected {{'briefings': [...], 'scenario_markers': {{...}}}}")
    briefings = []
    for entry in entries:
        metrics = entry.get("metrics") if isinstance(entry, dict) else None
        if not isinstance(metrics, dict) or not entry.get("topic") or not entry.get("scenario"):
            raise EvalSetError(f"{path}: each briefing needs topic, vendor, scenario and metrics")
        briefings.append(
            BriefingExpectation(
                topic=str(entry["topic"]),
                vendor=str(entry.get("vendor") or ""),
                scenario=str(entry["scenario"]),
                lang=str(entry.get("lang") or "en"),
                metrics=tuple(
                    (str(metric), tuple(str(text) for text in expected or ()))
                    for metric, expected in metrics.items()
                ),
            )
        )
    return briefings, {str(k): tuple(str(m) for m in v or ()) for k, v in markers.items()}


def run_briefings(
    assistant: Assistant,
    criteria: CriteriaBook,
    expectations: Sequence[BriefingExpectation],
    markers: dict[str, tuple[str, ...]],
) -> tuple[dict[str, object], list[MetricOutcome], list[ItemsOutcome]]:
    """Run every briefing (twice: the second run is warm), score its claims and its questions
    and PoC tests; the metrics and the outcomes."""
    outcomes: list[MetricOutcome] = []
    items: list[ItemsOutcome] = []
    timings: list[float] = []
    for expected in expectations:
        for run in range(2):
            started = time.perf_counter()
            answer = assistant.brief(expected.topic, expected.lang)  # type: ignore[arg-type]
            if run:
                timings.append((time.perf_counter() - started) * 1000)
        claims = _claims(answer, criteria, expected)
        for metric, strings in expected.metrics:
            outcomes.append(MetricOutcome(expected.topic, metric, strings, claims.get(metric, "")))
        items.append(_items(answer, criteria, expected, markers))
    n = len(outcomes)
    metrics: dict[str, object] = {
        "n_briefing_metrics": n,
        "briefing_metric_accuracy": round(sum(o.right for o in outcomes) / n, 3) if n else 0.0,
        "off_metric_claims": sum(o.off_metric for o in outcomes),
        "n_briefings": len(items),
        "scenario_items_accuracy": round(sum(i.right for i in items) / len(items), 3)
        if items
        else 0.0,
        "brief_p50_ms": round(statistics.median(timings)) if timings else 0,
    }
    return metrics, outcomes, items


def _sections(answer: Answer) -> dict[str, list[str]]:
    """The full briefing's sections (Markdown attachment): heading → its bullet lines."""
    document = answer.attachments[0].content if answer.attachments else ""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in document.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif line.startswith("- ") and current is not None:
            current.append(line[2:])
    return sections


def _claims(
    answer: Answer, criteria: CriteriaBook, expected: BriefingExpectation
) -> dict[str, str]:
    """Key metric id → the claim the briefing quotes on it ("" for none)."""
    lang = answer.lang
    title = message("briefing_claims", lang, vendor=expected.vendor)
    lines = _sections(answer).get(title, [])
    separator = message("label_separator", lang)
    claims = {}
    for metric, _ in expected.metrics:
        label = criteria.get(metric).name(lang) + separator
        claims[metric] = next((line[len(label) :] for line in lines if line.startswith(label)), "")
    return claims


def _items(
    answer: Answer,
    criteria: CriteriaBook,
    expected: BriefingExpectation,
    markers: dict[str, tuple[str, ...]],
) -> ItemsOutcome:
    """Whether the questions and PoC test sections hold the scenario's markers, and not
    another scenario's."""
    sections = _sections(answer)
    names = [criteria.sections[key].name(answer.lang) for key in ("questions", "poc_tests")]
    text = "\n".join(line for name in names for line in sections.get(name, []))
    lowered = text.casefold()
    own = any(marker.casefold() in lowered for marker in markers.get(expected.scenario, ()))
    foreign = tuple(
        marker
        for scenario, strings in markers.items()
        if scenario != expected.scenario
        for marker in strings
        if marker.casefold() in lowered
    )
    return ItemsOutcome(expected.topic, own, foreign)


def print_briefings(
    outcomes: Sequence[MetricOutcome], items: Sequence[ItemsOutcome], out: TextIO = sys.stderr
) -> None:
    """The metrics and sections that are wrong, for reading (on stderr)."""
    for outcome in outcomes:
        if outcome.right:
            continue
        expected = " | ".join(outcome.expect_any) or "not stated"
        print(f"- {outcome.topic} / {outcome.metric}: expected {expected}", file=out)
        print(f"    got: {outcome.statement or 'not stated'}", file=out)
    for item in items:
        if not item.right:
            why = "no marker of its scenario" if not item.own else f"holds {list(item.foreign)}"
            print(f"- {item.topic}: questions/PoC tests {why}", file=out)
