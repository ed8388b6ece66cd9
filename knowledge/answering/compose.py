"""The extractive answer composer: the sentences that answer the question, each cited, nothing else.

No sentence is written by the composer except the frame around quotes (a lead-in, a vendor's
attribution, a note on the source's language), so every claim in an answer is a source's own words
with a `[n]` pointing at the chunk that holds them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowledge.answer import Answer, Citation
from knowledge.domain.criteria import default_criteria
from knowledge.retrieval.retriever import Hit, Retrieval
from knowledge.retrieval.text import split_sentences, tokenize

MAX_POINTS = 4
MIN_SENTENCE_CHARS = {"en": 25, "zh": 10}
_MARKDOWN = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|#+\s+|>\s*)|\*\*|__|`")


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


def clean_for_display(sentence: str) -> str:
    """A quoted sentence without Markdown list markers and emphasis."""
    return _MARKDOWN.sub("", sentence).strip()


def _score_sentences(retrieval: Retrieval, idf: Callable[[str], float]) -> list[_Candidate]:
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
        if not _quotable(hit):
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
    retrieval: Retrieval, idf: Callable[[str], float], max_points: int = MAX_POINTS
) -> list[tuple[Hit, str]]:
    """The best sentence of each of the best hits, then more from the top hit if room is left."""
    candidates = _score_sentences(retrieval, idf)
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


class CitationBook:
    """Numbers chunks in order of first citation; one chunk, one number."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.citations: list[Citation] = []

    def cite(self, hit: Hit, quote: str) -> int:
        """The number of this chunk, recording the first quote taken from it."""
        chunk = hit.chunk
        number = self._numbers.get(chunk.id)
        if number is None:
            number = len(self.citations) + 1
            self._numbers[chunk.id] = number
            self.citations.append(
                Citation(
                    n=number,
                    source=chunk.source_url or chunk.source,
                    title=chunk.title,
                    section=chunk.section,
                    chunk_id=chunk.id,
                    quote=quote,
                    source_url=chunk.source_url,
                    vendor=chunk.vendor,
                    lang=chunk.lang,
                )
            )
        return number


_ATTRIBUTED = re.compile(
    r"\b(states?|stated|says|said|claims?|claimed|according to|reports?|advertises)\b"
    r"|称|表示|据|宣称",
    re.IGNORECASE,
)


def render_claim(hit: Hit, sentence: str, number: int, lang: str) -> str:
    """One cited point: the source's words, attributed to the vendor when they are a vendor's
    claim (advice and questions in a vendor profile are not, and already-attributed sentences
    need no second attribution)."""
    text = clean_for_display(sentence)
    chunk = hit.chunk
    is_claim = default_criteria().is_vendor_claim(sentence, chunk.section)
    # A sentence that already says who claims it, in the reader's language, needs no second
    # attribution ("GalaxyRTC 称：“星河音视频称…”"); in another language it still does.
    attributed = chunk.lang == lang and bool(_ATTRIBUTED.search(text))
    if chunk.doc_type == "vendor" and chunk.vendor and is_claim and not attributed:
        text = (
            f"{chunk.vendor} 称：“{text}”" if lang == "zh" else f"{chunk.vendor} states: “{text}”"
        )
    if chunk.lang != lang:
        text += "（英文资料）" if lang == "zh" and chunk.lang == "en" else ""
        text += " (from a Chinese source)" if lang == "en" and chunk.lang == "zh" else ""
    return f"{text} [{number}]"


def _quotable(hit: Hit) -> bool:
    """False for sections about documents (a list of sources, a table of contents): they name
    pages, they say nothing about the subject."""
    heading = hit.chunk.section.lower()
    return not any(skip.lower() in heading for skip in default_criteria().unquotable_sections)


LEADS = {
    "en": "Here is what the knowledge base says:",
    "zh": "知识库中的相关要点：",
}


def compose_answer(
    retrieval: Retrieval,
    lang: str,
    idf: Callable[[str], float],
    thresholds: Thresholds,
) -> Answer:
    """A cited extractive answer, or an abstention when retrieval found nothing to stand on."""
    if should_abstain(retrieval, thresholds):
        return abstention(lang)
    picked = select_sentences(retrieval, idf)
    if not picked:
        return abstention(lang)
    book = CitationBook()
    lines = [LEADS[lang]]
    for hit, sentence in picked:
        number = book.cite(hit, sentence)
        lines.append(f"• {render_claim(hit, sentence, number, lang)}")
    return Answer(text="\n".join(lines), citations=tuple(book.citations))


def abstention(lang: str, topic_hint: Sequence[str] = ()) -> Answer:
    """The plain statement that the knowledge base does not cover the question."""
    if lang == "zh":
        text = (
            "知识库里没有能回答这个问题的内容，我不想凭空猜测。"
            "可以换个问法，例如问某个场景（语聊房、1v1 视频、秀场直播、直播带货、"
            "在线教育、大型活动）"
            "的关键指标、如何评估厂商、POC 测试怎么做；或者把相关文档加入知识库后再问。"
        )
    else:
        text = (
            "The knowledge base does not cover this, so I won't guess. "
            "Try asking about a scenario (voice rooms, 1v1 video, show streaming, live commerce, "
            "online classes, large events), how to evaluate vendors, or how to run a proof of "
            "concept — or add documents on this topic to the knowledge base."
        )
    return Answer(text=text, citations=(), abstained=True)
