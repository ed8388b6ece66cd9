"""The comparison evaluation: vendors × criteria, each cell expected to state a given figure (any
of a few strings, either language) or to say "not stated".

Comparisons are run as users run them (`compare A B`, vendors paired in turn) and read back from
their CSV table. A cell is right when it holds an expected string, or says "not stated" where
nothing is expected; it is off its criterion when it quotes a sentence holding none of them
(including any statement where nothing is expected).
"""

from __future__ import annotations

import csv
import io
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


@dataclass(frozen=True, slots=True)
class CellExpectation:
    """What one vendor's documents state on one criterion: strings any of which the cell must
    hold, or () for "not stated"."""

    vendor: str
    criterion: str
    expect_any: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CellOutcome:
    """What the comparison put in one cell."""

    expected: CellExpectation
    statement: str  # "" when the cell says "not stated"

    @property
    def right(self) -> bool:
        """The expected figure, or rightly "not stated"."""
        if not self.expected.expect_any:
            return not self.statement
        return any(text in self.statement for text in self.expected.expect_any)

    @property
    def off_criterion(self) -> bool:
        """A quote that states none of what the criterion's cell should."""
        return bool(self.statement) and not self.right


def load_expectations(path: Path) -> list[CellExpectation]:
    """Read a comparison set (see knowledge/eval/comparisons.json)."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise EvalSetError(f"cannot read the comparison set {path}: {error}") from None
    vendors = raw.get("vendors") if isinstance(raw, dict) else None
    if not isinstance(vendors, dict) or not vendors:
        raise EvalSetError(f"{path}: expected {{'vendors': {{name: {{criterion: [...]}}}}}}")
    cells = []
    for vendor, row in vendors.items():
        if not isinstance(row, dict):
            raise EvalSetError(f"{path}: {vendor} must map criteria to lists or null")
        for criterion, expected in row.items():
            strings = tuple(str(text) for text in expected or ())
            cells.append(CellExpectation(str(vendor), str(criterion), strings))
    return cells


def run_comparisons(
    assistant: Assistant, criteria: CriteriaBook, expectations: Sequence[CellExpectation]
) -> tuple[dict[str, object], list[CellOutcome]]:
    """Compare the vendors in pairs, score every cell; the metrics and the outcomes. Each pair
    runs twice: the first time reads (embeds) the vendors' sentences, the second is warm."""
    vendors = list(dict.fromkeys(cell.vendor for cell in expectations))
    names = {criterion.name("en"): criterion.id for criterion in criteria.comparison}
    statements: dict[tuple[str, str], str] = {}
    cold: list[float] = []
    timings: list[float] = []
    pairs = [(vendors[i], vendors[(i + 1) % len(vendors)]) for i in range(0, len(vendors), 2)]
    for pair in pairs:
        for run in (cold, timings):
            started = time.perf_counter()
            answer = assistant.compare(list(pair), "en")
            run.append((time.perf_counter() - started) * 1000)
        for (criterion, vendor), statement in _cells(answer).items():
            statements[(vendor, names.get(criterion, criterion))] = statement
    outcomes = [
        CellOutcome(cell, statements.get((cell.vendor, cell.criterion), ""))
        for cell in expectations
    ]
    n = len(outcomes)
    metrics: dict[str, object] = {
        "n_cells": n,
        "cell_accuracy": round(sum(o.right for o in outcomes) / n, 3) if n else 0.0,
        "off_criterion_cells": sum(o.off_criterion for o in outcomes),
        "missed_cells": sum(1 for o in outcomes if o.expected.expect_any and not o.statement),
        "compare_p50_ms": round(statistics.median(timings)) if timings else 0,
        "compare_cold_p50_ms": round(statistics.median(cold)) if cold else 0,
    }
    return metrics, outcomes


def _cells(answer: Answer) -> dict[tuple[str, str], str]:
    """(criterion, vendor) → the quoted statement ("" for not stated), from the CSV table."""
    table = next((a for a in answer.attachments if a.mime_type == "text/csv"), None)
    if table is None:
        return {}
    cells = {}
    for row in csv.DictReader(io.StringIO(table.content)):
        quoted = bool(row.get("citation"))
        cells[(row["criterion"], row["vendor"])] = row["statement"] if quoted else ""
    return cells


def print_cells(outcomes: Sequence[CellOutcome], out: TextIO = sys.stderr) -> None:
    """The cells that are wrong, for reading (on stderr: stdout may carry the JSON)."""
    for outcome in outcomes:
        if outcome.right:
            continue
        expected = " | ".join(outcome.expected.expect_any) or "not stated"
        cell = f"{outcome.expected.vendor} / {outcome.expected.criterion}"
        print(f"- {cell}: expected {expected}", file=out)
        print(f"    got: {outcome.statement or 'not stated'}", file=out)
