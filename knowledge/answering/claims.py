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
        target = _target(row, guidance, evidence)
        short = False
        if evidence is not None and target is not None and row.target_kind:
            aspects = dict(row.aspects)
            verdict = falls_short(
                evidence.display, target.display, row.target_kind, row.better, aspects
            )
            short = bool(verdict)
        claims.append(Claim(row, evidence, target, short))
    return claims


def _target(row: QuerySet, guidance: Sequence[Evidence], claim: Evidence | None) -> Evidence | None:
    """The guidance sentence to set beside the vendor's: of those stating a figure on what the
    claim's figure measures (its kind and aspect), the most lenient target, so a shortfall is
    never raised against a stricter sub-target than the one that applies; else the first stating
    a figure of the criterion's kind, else any figure."""
    if row.target_kind:
        if claim is not None:
            aspects = dict(row.aspects)
            scored = [
                (max(wanted for _, wanted in pairs), evidence)
                for evidence in guidance
                if (
                    pairs := compared(
                        claim.display, evidence.display, row.target_kind, row.better, aspects
                    )
                )
            ]
            if scored:
                lenient = min if row.better == "higher" else max
                return lenient(scored, key=lambda pair: pair[0])[1]
        for evidence in guidance:
            if any(figure.kind == row.target_kind for figure in figures(evidence.display)):
                return evidence
    return next((e for e in guidance if has_figure(e.display)), None)
