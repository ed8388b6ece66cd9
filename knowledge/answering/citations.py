"""Numbering the chunks an answer quotes, and turning a quoted sentence into a cited Point."""

from __future__ import annotations

import re

from knowledge.api import Citation, Point
from knowledge.domain.criteria import CriteriaBook
from knowledge.retrieval.retriever import Hit
from store.language import detect_lang

_MARKDOWN = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|#+\s+|>\s*)|\*\*|__|`")


def clean_for_display(sentence: str) -> str:
    """A quoted sentence without Markdown list markers and emphasis."""
    return _MARKDOWN.sub("", sentence).strip()


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


def quoted_point(
    book: CitationBook,
    hit: Hit,
    sentence: str,
    criteria: CriteriaBook,
    *,
    display: str | None = None,
    label: str = "",
) -> Point:
    """A cited point quoting `sentence` of the hit's chunk (`display`: a shortened form of it);
    a vendor's claim when the chunk is a vendor document and the sentence states something about
    the vendor (advice and questions in a vendor profile are not its claims)."""
    chunk = hit.chunk
    number = book.cite(hit, sentence)
    is_claim = (
        chunk.doc_type == "vendor"
        and bool(chunk.vendor)
        and criteria.is_vendor_claim(sentence, chunk.section)
    )
    return Point(
        text=display if display is not None else clean_for_display(sentence),
        cites=(number,),
        claim_of=chunk.vendor if is_claim else None,
        label=label,
        # The quote's own language, which the reader sees: a chunk is labelled by most of its
        # text, and a Chinese sentence in a page of English and code is still Chinese.
        source_lang=detect_lang(sentence, default=chunk.lang),
    )
