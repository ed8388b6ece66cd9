"""A briefing's vendor claims: for each of the scenario's key metrics, the vendor's own sentence
(chosen by the reader among that vendor's chunks, as a comparison cell is: answering/cells.py),
the guidance's target beside it, and whether the vendor's figure falls short of the target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.answering.cells import ReadingTools, read_cells
from knowledge.answering.evidence import Evidence, Retrieve, vendor_evidence
from knowledge.answering.shapes import has_figure
from knowledge.answering.targets import compared, falls_short, figures
from knowledge.domain.criteria import CriteriaBook, QuerySet
from knowledge.domain.topics import Vendor

SHOWN_TARGETS = 2  # the guidance sentences per metric a briefing shows under "what matters"


@dataclass(frozen=True, slots=True)
class Claim:
    """What the vendor's documents state on one key metric, beside the guidance's target."""

    criterion: QuerySet
    evidence: Evidence | None  # the vendor's own sentence; None: not stated
    target: Evidence | None  # the guidance's sentence with a figure on it, if any
    short: bool = False  # the vendor's figure is worse than the target's

    @property
    def beside(self) -> bool:
        """True when both the vendor and the guidance state a figure on it."""
        return (
            self.evidence is not None
            and self.target is not None
            and has_figure(self.evidence.display)
            and has_figure(self.target.display)
        )


def read_claims(
    vendor: Vendor,
    rows: Sequence[QuerySet],
    criteria: CriteriaBook,
    targets: dict[str, list[Evidence]],
    *,
    tools: ReadingTools | None,
    retrieve: Retrieve,
    lang: str,
    scenario: dict[str, str],
) -> list[Claim]:
    """One Claim per row: the reader's choice among the vendor's chunks (by meaning, in either
    language) when reading tools are there, else the keyword search over them."""
    if tools is not None:
        found = read_cells(tools, vendor, criteria, rows)
    else:
        found = []
        for row in rows:
            hits = vendor_evidence(retrieve, row, criteria, vendor.store_names, lang, scenario)
            found.append(hits[0] if hits else None)
    claims = []
    for row, evidence in zip(rows, found, strict=True):
        guidance = targets.get(row.id, [])
        comparable = _comparable(row, guidance, evidence)
        target = comparable[0] if comparable else _shown_target(row, guidance)
        # Lenient: short only of every target it can be compared with, so a stricter sub-target
        # ("under 300 ms feels more natural") never raises a gap the main one does not.
        short = bool(comparable) and all(
            falls_short(evidence.display, e.display, row.target_kind, row.better, dict(row.aspects))
            for e in comparable
            if evidence is not None
        )
        claims.append(Claim(row, evidence, target, short))
    return claims


def _comparable(
    row: QuerySet, guidance: Sequence[Evidence], claim: Evidence | None
) -> list[Evidence]:
    """The guidance sentences, best first, stating a figure on what the claim's figure measures
    (the criterion's kind, the same aspect)."""
    if claim is None or not row.target_kind:
        return []
    aspects = dict(row.aspects)
    return [
        evidence
        for evidence in guidance
        if compared(claim.display, evidence.display, row.target_kind, row.better, aspects)
    ]


def _shown_target(row: QuerySet, guidance: Sequence[Evidence]) -> Evidence | None:
    """With nothing to judge by, the guidance sentence to show beside the claim: of the best few
    (those "what matters" shows), one stating a figure of the criterion's kind, else any figure."""
    best = guidance[:SHOWN_TARGETS]
    if row.target_kind:
        for evidence in best:
            if any(figure.kind == row.target_kind for figure in figures(evidence.display)):
                return evidence
    return next((e for e in best if has_figure(e.display)), None)
