"""The extractive answer composer: the sentences that answer the question, each cited, nothing else.

No sentence is written by the composer except the frame around quotes (a lead-in, a vendor's
attribution, a note on the source's language), so every claim in an answer is a source's own words
with a `[n]` pointing at the chunk that holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from knowledge.answering.citations import CitationBook, clean_for_display, quoted_point
from knowledge.api import Answer, Section
from knowledge.domain.criteria import CriteriaBook
from knowledge.messages import message
from knowledge.retrieval.retriever import Hit, Retrieval
from knowledge.retrieval.text import tokenize
from store.language import Lang
from store.sentences import split_sentences

MAX_POINTS = 4
MIN_SENTENCE_CHARS = {"en": 25, "zh": 10}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When retrieval is too weak to answer from. Calibrated for multilingual-e5-small on the
    project's evaluation set (docs/evaluation.md); another EMBEDDING_MODEL needs recalibrating,
    since e5's cosines sit in a narrow band (related ≈ 0.81, unrelated ≈ 0.76)."""

    # Below this top cosine, the question must also be echoed by one retrieved sentence.
    min_dense: float = 0.883
    min_sentence_coverage: float = 0.6
    # A question that uses the domain's glossary terms is in the domain: a lower cosine will do.
    # (No out-of-scope question of the evaluation set uses one.)
    domain_min_dense: float = 0.85


@dataclass(frozen=True, slots=True)
class _Candidate:
    hit_rank: int
    hit: Hit
    sentence: str
    score: float


def should_abstain(retrieval: Retrieval, thresholds: Thresholds) -> bool:
    """True when nothing retrieved is relevant enough to ground an answer."""
    if not retrieval.hits:
        return True
    min_dense = thresholds.domain_min_dense if retrieval.domain_terms else thresholds.min_dense
    return (
        retrieval.top_dense < min_dense
        and retrieval.sentence_coverage < thresholds.min_sentence_coverage
    )


def _score_sentences(
    retrieval: Retrieval, idf: Callable[[str], float], criteria: CriteriaBook
) -> list[_Candidate]:
    own: dict[str, float] = {}
    expansions: dict[str, float] = {}
    for term, weight in zip(retrieval.terms, retrieval.term_weights, strict=False):
        into = own if weight >= 1.0 else expansions
        into[term] = max(into.get(term, 0.0), weight * (idf(term) or 1.0))
    # Glossary expansions ("SLA" → 服务等级协议, 可用性承诺, service level agreement …) share
    # words among themselves: a sentence that restates one question word's definition must not
    # outweigh one that matches several of the question's own words.
    expansion_cap = max(own.values(), default=0.0)
    candidates: list[_Candidate] = []
    for rank, hit in enumerate(retrieval.hits):
        if not _quotable(hit, criteria):
            continue
        for sentence in split_sentences(hit.chunk.text):
            display = clean_for_display(sentence)
            lang = "zh" if hit.chunk.lang == "zh" else "en"
            if len(display) < MIN_SENTENCE_CHARS[lang] or display.endswith((":", "：")):
                continue
            terms = set(tokenize(sentence))
            overlap = sum(weight for term, weight in own.items() if term in terms) + min(
                sum(weight for term, weight in expansions.items() if term in terms),
                expansion_cap,
            )
            # Earlier hits are better evidence; overlap decides among a hit's sentences.
            score = overlap + 2.0 / (rank + 1) + 0.5 * hit.dense
            candidates.append(_Candidate(rank, hit, sentence, score if overlap else score - 5))
    return candidates


def select_sentences(
    retrieval: Retrieval,
    idf: Callable[[str], float],
    criteria: CriteriaBook,
    max_points: int = MAX_POINTS,
) -> list[tuple[Hit, str]]:
    """The best sentence of each of the best hits, then more from the top hit if room is left."""
    candidates = _score_sentences(retrieval, idf, criteria)
    best_per_hit: dict[int, _Candidate] = {}
    for candidate in candidates:
        current = best_per_hit.get(candidate.hit_rank)
        if current is None or candidate.score > current.score:
            best_per_hit[candidate.hit_rank] = candidate
    chosen = [c for c in sorted(best_per_hit.values(), key=lambda c: -c.score) if c.score > 0]
    chosen = chosen[:max_points]
    if len(chosen) < max_points and chosen:
        top = chosen[0]
        extras = sorted(
            (
                c
                for c in candidates
                if c.hit_rank == top.hit_rank and c.sentence != top.sentence and c.score > 0
            ),
            key=lambda c: -c.score,
        )
        chosen.extend(extras[: max_points - len(chosen)])
    seen: set[str] = set()
    result: list[tuple[Hit, str]] = []
    for candidate in chosen:
        key = clean_for_display(candidate.sentence)
        if key not in seen:
            seen.add(key)
            result.append((candidate.hit, candidate.sentence))
    return result


def _quotable(hit: Hit, criteria: CriteriaBook) -> bool:
    """False for sections about documents (a list of sources, a table of contents): they name
    pages, they say nothing about the subject."""
    heading = hit.chunk.section.lower()
    return not any(skip.lower() in heading for skip in criteria.unquotable_sections)


def compose_answer(
    retrieval: Retrieval,
    lang: Lang,
    idf: Callable[[str], float],
    thresholds: Thresholds,
    criteria: CriteriaBook,
) -> Answer:
    """A cited extractive answer, or an abstention when retrieval found nothing to stand on."""
    if should_abstain(retrieval, thresholds):
        return abstention(lang)
    picked = select_sentences(retrieval, idf, criteria)
    if not picked:
        return abstention(lang)
    book = CitationBook()
    points = tuple(quoted_point(book, hit, sentence, criteria) for hit, sentence in picked)
    return Answer(
        title=message("answer_lead", lang),
        sections=(Section("", points),),
        citations=tuple(book.citations),
        lang=lang,
    )


def abstention(lang: Lang) -> Answer:
    """The plain statement that the knowledge base does not cover the question."""
    return Answer(title=message("abstention", lang), abstained=True, lang=lang)
