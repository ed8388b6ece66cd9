"""Printing one corpus's figures, and its misses for reading."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from knowledge.evaluation.metrics import Outcome
from knowledge.evaluation.suite import CorpusResult

# (key, label): the DESIGN.md fields first, then the per-corpus figures of issue 15.
ROWS = (
    ("n", "questions"),
    ("recall_at_5", "recall@5 (source)"),
    ("mrr", "MRR"),
    ("source_rate", "cited source"),
    ("answer_hit_rate", "answer hit"),
    ("cross_lingual_hit_rate", "cross-lingual hit"),
    ("abstention_accuracy", "abstention accuracy"),
    ("abstain_out_of_domain", "abstain: out of domain"),
    ("abstain_near_domain", "abstain: near domain"),
    ("abstain_rate", "abstain: all"),
    ("abstain_other_language", "abstain: other lang only"),
    ("wrongly_abstained", "wrongly abstained"),
    ("citation_validity", "citation validity"),
    ("median_answer_chars", "median answer chars"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    # Comparison sets (issue 16): vendors × criteria.
    ("n_cells", "comparison cells"),
    ("cell_accuracy", "cell accuracy"),
    ("off_criterion_cells", "off-criterion cells"),
    ("missed_cells", "missed cells"),
    ("compare_p50_ms", "compare p50 ms (warm)"),
    ("compare_cold_p50_ms", "compare p50 ms (cold)"),
    # Briefing sets (issue 16): vendors × scenarios, the key metrics' claims.
    ("n_briefing_metrics", "briefing key metrics"),
    ("briefing_metric_accuracy", "key-metric accuracy"),
    ("off_metric_claims", "off-metric claims"),
    ("n_briefings", "briefings"),
    ("scenario_items_accuracy", "scenario's own Q/PoC"),
    ("brief_p50_ms", "brief p50 ms (warm)"),
)
_COUNTS = {
    "cross_lingual_hit_rate": "n_cross_lingual",
    "abstain_out_of_domain": "n_out_of_domain",
    "abstain_near_domain": "n_near_domain",
    "abstain_rate": "n_abstain",
    "abstain_other_language": "n_abstain_other_language",
    "answer_hit_rate": "n_answerable",
}


def _cell(metrics: dict[str, object], key: str) -> str:
    value = metrics.get(key)
    if value is None:
        return "—"
    count = _COUNTS.get(key)
    if count is not None and isinstance(value, float):
        return f"{value:.3f} /{metrics.get(count)}"
    if isinstance(value, float) and key not in (
        "p50_ms",
        "p95_ms",
        "compare_p50_ms",
        "compare_cold_p50_ms",
        "brief_p50_ms",
    ):
        return f"{value:.3f}"
    return str(value)


def print_table(result: CorpusResult) -> None:
    """The two systems side by side, one row a figure."""
    header = f"{'[' + result.name + ']':<26}{'assistant':>14}"
    if result.baseline is not None:
        header += f"{'naive top-k':>14}"
    print(header)
    print("-" * len(header))
    for key, label in ROWS:
        if key not in result.metrics and key not in (result.baseline or {}):
            continue  # a figure this corpus has no set for (questions, comparisons)
        row = f"{label:<26}{_cell(result.metrics, key):>14}"
        if result.baseline is not None:
            row += f"{_cell(result.baseline, key):>14}"
        print(row)
    for group in ("by_lang", "by_kind"):
        breakdown = result.metrics.get(group)
        if isinstance(breakdown, dict) and len(breakdown) > 1:
            parts = [
                f"{name} {cell['hit']:.2f}/{cell['n']}"
                for name, cell in breakdown.items()
                if isinstance(cell, dict)
            ]
            print(f"{'hit ' + group[3:]:<26}{'  '.join(parts)}")
    print()


def _indent(text: str, prefix: str = "      ") -> str:
    return textwrap.indent(text.strip() or "(empty)", prefix)


def print_misses(result: CorpusResult, reason: Callable[[Outcome], str | None]) -> None:
    """Every question the assistant got wrong, with what it said and cited."""
    misses = [(o, why) for o in result.outcomes if (why := reason(o)) is not None]
    print(f"=== {result.name}: {len(misses)} misses of {len(result.outcomes)} ===")
    for outcome, why in misses:
        q = outcome.question
        kind = q.kind or ("answerable" if q.answerable else "abstain")
        extra = f", {q.abstain_kind}" if q.abstain_kind else ""
        extra += ", cross-lingual" if q.cross_lingual and q.kind != "cross-lingual" else ""
        print(f"\n{q.id} [{q.lang or '?'} {kind}{extra}] {q.question}")
        print(f"  why: {why}")
        if q.answerable:
            print(f"  expected: source ~ {list(q.expect_sources)}, any of {list(q.expect_any)}")
        state = "abstained" if outcome.answer.abstained else "answered"
        print(f"  answer ({state}, {len(outcome.answer.text)} chars):")
        print(_indent(outcome.answer.text))
        print(f"  cited: {list(outcome.cited) or '-'}")
        print(f"  retrieved: {list(outcome.sources[:5])}")
    print()
