"""The extractive answer composer: the sentences that answer the question, each cited, nothing else.

No sentence is written by the composer except the frame around quotes (a lead-in, a vendor's
attribution, a note on the source's language), so every claim in an answer is a source's own words
with a `[n]` pointing at the chunk that holds them.
"""

from __future__ import annotations

from collections.abc import Callable

from knowledge.answering.citations import CitationBook, clean_for_display, quoted_point
from knowledge.answering.reader import SentenceVectors, Thresholds, display_lines, read
from knowledge.api import Answer, Section
from knowledge.domain.criteria import CriteriaBook
from knowledge.messages import message
from knowledge.retrieval.retriever import Retrieval
from store.language import Lang

MIN_SENTENCE_CHARS = {"en": 25, "zh": 10}


def compose_answer(
    retrieval: Retrieval,
    lang: Lang,
    idf: Callable[[str], float],
    thresholds: Thresholds,
    criteria: CriteriaBook,
    vectors: SentenceVectors,
) -> Answer:
    """A cited extractive answer: the reader's passages, each quoted and cited; or an abstention
    when the evidence is too weak to stand on."""
    reading = read(retrieval.query, retrieval, idf, vectors, thresholds)
    if reading.abstained:
        return abstention(lang)
    book = CitationBook()
    points = tuple(
        quoted_point(
            book,
            found.hit,
            found.quote,
            criteria,
            display=display_lines(found.lines, clean_for_display),
        )
        for found in reading.passages
    )
    return Answer(
        title=message("answer_lead", lang),
        sections=(Section("", points),),
        citations=tuple(book.citations),
        lang=lang,
    )


def abstention(lang: Lang) -> Answer:
    """The plain statement that the knowledge base does not cover the question."""
    return Answer(title=message("abstention", lang), abstained=True, lang=lang)
