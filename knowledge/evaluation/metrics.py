"""Scoring one system's results on an evaluation set."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.api import Answer
from knowledge.evaluation.questions import EvalQuestion

_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a system returned for one question."""

    question: EvalQuestion
    sources: tuple[str, ...]  # retrieved sources, best first
    answer: Answer
    seconds: float


def _matches(source: str, expected: Sequence[str]) -> bool:
    return any(fragment in source for fragment in expected)


def citations_valid(answer: Answer, chunk_text: Callable[[str], str | None]) -> bool:
    """Every [n] has a citation, and every citation's quote is text of the chunk it names."""
    numbers = {int(n) for n in _MARKER.findall(answer.text)}
    cited = {citation.n for citation in answer.citations}
    if not numbers <= cited:
        return False
    for citation in answer.citations:
        text = chunk_text(citation.chunk_id)
        if text is None or not citation.quote or citation.quote not in text:
            return False
    return True


def score(outcomes: Sequence[Outcome], chunk_text: Callable[[str], str | None]) -> dict[str, float]:
    """The DESIGN.md metrics object."""
    answerable = [o for o in outcomes if o.question.answerable]
    recall = [
        any(_matches(s, o.question.expect_sources) for s in o.sources[:5]) for o in answerable
    ]
    reciprocal = []
    for outcome in answerable:
        rank = next(
            (
                i + 1
                for i, s in enumerate(outcome.sources[:5])
                if _matches(s, outcome.question.expect_sources)
            ),
            None,
        )
        reciprocal.append(1.0 / rank if rank else 0.0)
    hits = [
        not o.answer.abstained
        and (
            not o.question.expect_any
            or any(word.lower() in o.answer.text.lower() for word in o.question.expect_any)
        )
        for o in answerable
    ]
    abstention = [o.answer.abstained == (not o.question.answerable) for o in outcomes]
    validity = [citations_valid(o.answer, chunk_text) for o in outcomes]
    latencies = np.array([o.seconds * 1000 for o in outcomes]) if outcomes else np.zeros(1)

    def mean(values: Sequence[bool] | Sequence[float]) -> float:
        return round(float(np.mean(values)), 4) if len(values) else 0.0

    return {
        "n": len(outcomes),
        "recall_at_5": mean(recall),
        "mrr": mean(reciprocal),
        "answer_hit_rate": mean(hits),
        "abstention_accuracy": mean(abstention),
        "citation_validity": mean(validity),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
    }


def failures(outcomes: Sequence[Outcome]) -> list[str]:
    """One line per question the system got wrong (for tuning and for the report)."""
    lines = []
    for o in outcomes:
        q = o.question
        if q.answerable:
            if not any(_matches(s, q.expect_sources) for s in o.sources[:5]):
                lines.append(f"{q.id}: expected {q.expect_sources} not in top 5 {o.sources[:5]}")
            elif o.answer.abstained:
                lines.append(f"{q.id}: abstained on an answerable question")
            elif q.expect_any and not any(w.lower() in o.answer.text.lower() for w in q.expect_any):
                lines.append(f"{q.id}: answer lacks any of {q.expect_any}")
        elif not o.answer.abstained:
            lines.append(f"{q.id}: answered a question it should abstain on")
    return lines
