"""Scoring one system's results on an evaluation set."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.api import Answer
from knowledge.evaluation.questions import EvalQuestion

_MARKER = re.compile(r"\[(\d+)\]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a system returned for one question; sources are as the corpus names them."""

    question: EvalQuestion
    sources: tuple[str, ...]  # retrieved sources, best first
    answer: Answer
    seconds: float
    cited: tuple[str, ...] = ()  # the sources of the answer's citations, in order


def normalise(text: str) -> str:
    """Unicode NFKC, no whitespace at all, lower case: `5 Mbps` and `５Mbps` compare equal."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).lower()


def _matches(source: str, expected: Sequence[str]) -> bool:
    return any(normalise(fragment) in normalise(source) for fragment in expected)


def answer_hit(outcome: Outcome) -> bool:
    """Not an abstention, and some expected string in the (normalised) answer text."""
    if outcome.answer.abstained:
        return False
    expected = outcome.question.expect_any
    text = normalise(outcome.answer.text)
    return not expected or any(normalise(word) in text for word in expected)


def retrieved_in_top(outcome: Outcome, k: int = 5) -> bool:
    """An expected source among the first k retrieved."""
    return any(_matches(s, outcome.question.expect_sources) for s in outcome.sources[:k])


def cites_source(outcome: Outcome) -> bool:
    """Some citation of the answer names an expected source."""
    return not outcome.answer.abstained and any(
        _matches(s, outcome.question.expect_sources) for s in outcome.cited
    )


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


def _mean(values: Sequence[bool] | Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 4) if len(values) else None


def _rate(values: Sequence[bool] | Sequence[float]) -> float:
    mean = _mean(values)
    return 0.0 if mean is None else mean


def _reciprocal_rank(outcome: Outcome) -> float:
    for rank, source in enumerate(outcome.sources[:5], start=1):
        if _matches(source, outcome.question.expect_sources):
            return 1.0 / rank
    return 0.0


def _breakdown(outcomes: Sequence[Outcome], key: Callable[[Outcome], str]) -> dict[str, object]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(key(outcome) or "-", []).append(outcome)
    return {
        name: {"n": len(group), "hit": _rate([answer_hit(o) for o in group])}
        for name, group in sorted(groups.items())
    }


def score(
    outcomes: Sequence[Outcome], chunk_text: Callable[[str], str | None]
) -> dict[str, object]:
    """The DESIGN.md metrics object, plus the per-corpus figures of issue 15.

    A figure over an empty group (no cross-lingual question, no near-domain one) is None."""
    answerable = [o for o in outcomes if o.question.answerable]
    refusals = [o for o in outcomes if not o.question.answerable]
    cross = [o for o in answerable if o.question.cross_lingual]
    out_of_domain = [o for o in refusals if o.question.abstain_kind == "out-of-domain"]
    near_domain = [o for o in refusals if o.question.abstain_kind == "near-domain"]
    answered = [o for o in outcomes if not o.answer.abstained]
    latencies = np.array([o.seconds * 1000 for o in outcomes]) if outcomes else np.zeros(1)
    return {
        "n": len(outcomes),
        "recall_at_5": _rate([retrieved_in_top(o) for o in answerable]),
        "mrr": _rate([_reciprocal_rank(o) for o in answerable]),
        "answer_hit_rate": _rate([answer_hit(o) for o in answerable]),
        "abstention_accuracy": _rate(
            [o.answer.abstained != o.question.answerable for o in outcomes]
        ),
        "citation_validity": _rate([citations_valid(o.answer, chunk_text) for o in outcomes]),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "n_answerable": len(answerable),
        "source_rate": _rate([cites_source(o) for o in answerable]),
        "n_cross_lingual": len(cross),
        "cross_lingual_hit_rate": _mean([answer_hit(o) for o in cross]),
        "n_abstain": len(refusals),
        "abstain_rate": _mean([o.answer.abstained for o in refusals]),
        "n_out_of_domain": len(out_of_domain),
        "abstain_out_of_domain": _mean([o.answer.abstained for o in out_of_domain]),
        "n_near_domain": len(near_domain),
        "abstain_near_domain": _mean([o.answer.abstained for o in near_domain]),
        "wrongly_abstained": _rate([o.answer.abstained for o in answerable]),
        "median_answer_chars": (
            int(np.median([len(o.answer.text) for o in answered])) if answered else 0
        ),
        "by_lang": _breakdown(answerable, lambda o: o.question.lang),
        "by_kind": _breakdown(answerable, lambda o: o.question.kind),
    }


def miss_reason(outcome: Outcome) -> str | None:
    """Why the system got this question wrong, or None when it got it right."""
    q = outcome.question
    if not q.answerable:
        return None if outcome.answer.abstained else "answered a question it should abstain on"
    if not retrieved_in_top(outcome):
        return f"expected {list(q.expect_sources)} not in top 5 {list(outcome.sources[:5])}"
    if outcome.answer.abstained:
        return "abstained on an answerable question"
    if not answer_hit(outcome):
        return f"answer lacks any of {list(q.expect_any)}"
    return None


def failures(outcomes: Sequence[Outcome]) -> list[str]:
    """One line per question the system got wrong (for tuning and for the report)."""
    return [
        f"{o.question.id}: {reason}" for o in outcomes if (reason := miss_reason(o)) is not None
    ]
