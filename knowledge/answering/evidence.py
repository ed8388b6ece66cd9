"""Finding the sentences that address a criterion: retrieval through the assistant, then only
sentences that contain the criterion's keywords, best first.

Every sentence returned is verbatim text of its hit's chunk, so it can be quoted and cited as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from knowledge.answering.citations import CitationBook, clean_for_display
from knowledge.answering.compose import MIN_SENTENCE_CHARS
from knowledge.answering.shapes import has_figure
from knowledge.domain.criteria import CriteriaBook, QuerySet
from knowledge.retrieval.retriever import Hit, Retrieval
from knowledge.retrieval.text import tokenize
from store.sentences import split_sentences

# retrieve(question, filters=..., k=...) -> Retrieval: KnowledgeAssistant.retrieve, or a stand-in.
Retrieve = Callable[..., Retrieval]
RETRIEVE_K = 5
VENDOR_K = 12


@dataclass(frozen=True, slots=True)
class Evidence:
    """One sentence of a retrieved chunk that addresses a criterion."""

    hit: Hit
    sentence: str  # verbatim from hit.chunk.text
    score: float

    @property
    def display(self) -> str:
        """The sentence without Markdown list markers and emphasis."""
        return clean_for_display(self.sentence)


def mentions_any(text: str, forms: Sequence[str]) -> bool:
    """True when every word of one of `forms` occurs in `text` ("voice room" in "voice chat
    room"), compared as retrieval terms so stems and Chinese words line up."""
    if not forms:
        return False
    words = terms(text)
    for form in forms:
        form_words = terms(form)
        if form_words and form_words <= words:
            return True
    return False


@lru_cache(maxsize=32_768)
def terms(text: str) -> frozenset[str]:
    """The retrieval terms of `text`, remembered: briefings test the same guide sentences and
    headings against the scenarios' names on every run, and tokenizing Chinese is not cheap."""
    return frozenset(tokenize(text))


def gather(
    retrieve: Retrieve,
    queries: Iterable[str],
    wanted: QuerySet,
    filters: dict[str, str],
    *,
    lang: str,
    scenario_forms: Sequence[str] = (),
    figures: bool = False,
    k: int = RETRIEVE_K,
    accept: Callable[[Hit, str], bool] | None = None,
) -> list[Evidence]:
    """Sentences addressing `wanted` from the hits of each query, best first, each once.

    A sentence counts only when it contains one of the criterion's keywords. Among those, more
    keywords, an earlier hit, a figure (when `figures`: target values, stated numbers), a chunk
    written for this section, the reader's language and a mention of the scenario rank higher.
    """
    best: dict[str, Evidence] = {}
    for query in queries:
        retrieval = retrieve(query, filters=dict(filters), k=k)
        for rank, hit in enumerate(retrieval.hits):
            chunk = hit.chunk
            heading = f"{chunk.title} {chunk.section}"
            for sentence in split_sentences(chunk.text):
                if sentence.lstrip().startswith("#"):
                    continue  # a heading names a topic; it states nothing
                display = clean_for_display(sentence)
                minimum = MIN_SENTENCE_CHARS["zh" if chunk.lang == "zh" else "en"]
                if len(display) < minimum or display.endswith((":", "：")):
                    continue
                matched = wanted.keyword_hits(sentence)
                if not matched or (accept is not None and not accept(hit, sentence)):
                    continue
                # Capped: a sentence listing every metric is not the best answer on one of them.
                score = min(matched, 2) + 1.5 / (rank + 1)
                # A figure with its unit (a target value), not a digit of a name ("1v1", "4G").
                score += 1.0 if figures and has_figure(display) else 0.0
                score += 1.0 if wanted.hinted(heading) else 0.0
                score += 1.0 if chunk.lang == lang else 0.0
                if scenario_forms:
                    score += 1.0 if mentions_any(display, scenario_forms) else 0.0
                    score += 0.5 if mentions_any(heading, scenario_forms) else 0.0
                key = display.casefold()
                current = best.get(key)
                if current is None or score > current.score:
                    best[key] = Evidence(hit, sentence, score)
    return sorted(best.values(), key=lambda evidence: -evidence.score)


def vendor_evidence(
    retrieve: Retrieve,
    wanted: QuerySet,
    criteria: CriteriaBook,
    vendors: Sequence[str],
    lang: str,
    scenario: dict[str, str] | None = None,
) -> list[Evidence]:
    """The vendor's own statements on a criterion, from its documents only, best first.

    One query joining both languages' first phrasing: a vendor's profile may be in either, and
    the filter leaves few chunks to rank, so a wider k in one call does the work of two calls.
    Advice and questions in the profile are skipped: they are not the vendor's claims.
    """
    query = " ".join(wanted.queries(lang, scenario, both=True, per_lang=1))
    found: list[Evidence] = []
    for vendor in vendors:  # the labels its documents carry ("Agora", "声网")
        found += gather(
            retrieve,
            [query],
            wanted,
            {"vendor": vendor, "doc_type": "vendor"},
            lang=lang,
            figures=True,
            k=VENDOR_K,
            accept=lambda hit, sentence: criteria.is_vendor_claim(sentence, hit.chunk.section),
        )
    return sorted(found, key=lambda evidence: -evidence.score)


# How long a quote may be on the phone-screen version of a briefing or a comparison (the
# attachment keeps it whole).
SHORT_QUOTE_CHARS = 170


def shorten(text: str, limit: int) -> str:
    """`text`, cut at a word boundary with an ellipsis when longer than `limit` characters (for
    the phone-screen version; the full quote stays in the citation and the attachment)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;，、；") + "…"


def source_list(book: CitationBook, heading: str) -> list[str]:
    """The numbered source list closing a Markdown attachment: title, section, source, quote."""
    lines = [f"## {heading}", ""]
    for citation in book.citations:
        where = f" — {citation.section}" if citation.section else ""
        quote = " ".join(citation.quote.split())
        lines.append(f"{citation.n}. {citation.title}{where} ({citation.source}): “{quote}”")
    return lines


def slug(*parts: str) -> str:
    """A file-name-safe slug of ASCII words ("NimbusRTC", "voice_room" → "nimbusrtc-voice-room")."""
    words = re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")
    return words or "topic"
