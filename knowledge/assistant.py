"""The default Assistant: hybrid retrieval and the extractive composer over one store."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence

from knowledge.answering.briefing import Briefer
from knowledge.answering.cells import ReadingTools
from knowledge.answering.compose import compose_answer
from knowledge.answering.reader import Thresholds
from knowledge.api import (
    MAX_QUESTION_CHARS,
    Answer,
    InvalidQuestion,
    StoreUnavailable,
    StreamEvent,
    Turn,
    VendorSummary,
)
from knowledge.domain import Domain
from knowledge.retrieval.followup import retrieval_query
from knowledge.retrieval.retriever import HybridRetriever, Retrieval
from knowledge.retrieval.sections import with_sections
from knowledge.retrieval.vendors import StoreVendors, vendor_chunks
from store.client import is_connection_error
from store.language import Lang, detect_lang

log = logging.getLogger(__name__)


def check_question(question: str) -> str:
    """The question, trimmed; InvalidQuestion when empty or over the length limit."""
    text = " ".join(question.split())
    if not text:
        raise InvalidQuestion("empty_question")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestion("question_too_long", length=len(text), limit=MAX_QUESTION_CHARS)
    return text


def request_lang(text: str, lang: Lang | None) -> Lang:
    """The request's language: the caller's decision when it made one, else the text's."""
    return lang or detect_lang(text)


class KnowledgeAssistant:
    """Answers from the store; every method may raise KnowledgeError with a message to show."""

    streams = False

    def __init__(
        self,
        retriever: HybridRetriever,
        domain: Domain,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.retriever = retriever
        self.domain = domain
        self.thresholds = thresholds or Thresholds()
        # Vendors resolve against the seed aliases merged with the vendors the store names.
        self.store_vendors = StoreVendors(retriever.index, domain.vendors)
        if isinstance(retriever, HybridRetriever):
            retriever.vendor_book = self.store_vendors.book
        # Briefings and comparisons retrieve and read through this assistant: one path.
        self.tools = ReadingTools(
            retrieve=self.retrieve,
            idf=lambda term: self.retriever.index.snapshot().lexical.idf(term),
            vectors=lambda chunks: self.retriever.sentence_vectors(chunks),
            embed_query=lambda text: self.retriever.embedder.embed_query(text),
            vendor_chunks=lambda labels, limit: vendor_chunks(self.retriever.index, labels, limit),
            embed_passages=lambda texts: self.retriever.embedder.embed_passages(texts),
        )
        self.briefer = Briefer(self.retrieve, domain, self.store_vendors.book, self.tools)

    def retrieve(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: dict[str, str] | None = None,
        k: int = 5,
    ) -> Retrieval:
        """The hits for a question (follow-ups resolved against `history`)."""
        query = retrieval_query(question, history, self.domain.glossary)
        try:
            return self.retriever.retrieve(query, k=k, filters=filters)
        except StoreUnavailable:
            raise
        except Exception as error:
            if is_connection_error(error):
                raise StoreUnavailable() from error
            raise

    def context(self, retrieval: Retrieval) -> Retrieval:
        """What an answer is read from: the retrieved chunks, then the rest of their sections
        (the extractive reader and an LLM's prompt read the same)."""
        return with_sections(self.retriever.index, retrieval)

    def compose(self, retrieval: Retrieval, lang: Lang) -> Answer:
        """The extractive answer to a retrieval, or an abstention."""
        return self.answer_from(self.context(retrieval), lang)

    def answer_from(self, context: Retrieval, lang: Lang) -> Answer:
        """The extractive answer read from a context (see `context`), or an abstention."""
        idf = self.retriever.index.snapshot().lexical.idf
        vectors = self.retriever.sentence_vectors([hit.chunk for hit in context.hits])
        return compose_answer(context, lang, idf, self.thresholds, self.domain.criteria, vectors)

    def ask(self, question: str, history: Sequence[Turn] = (), lang: Lang | None = None) -> Answer:
        """A cited answer, or an abstention."""
        text = check_question(question)
        started = time.perf_counter()
        retrieval = self.retrieve(text, history)
        answer = self.compose(retrieval, request_lang(text, lang))
        log.info(
            "ask: %d hits, top_dense=%.3f abstained=%s in %.0f ms",
            len(retrieval.hits),
            retrieval.top_dense,
            answer.abstained,
            (time.perf_counter() - started) * 1000,
        )
        return answer

    def stream(
        self, question: str, history: Sequence[Turn] = (), lang: Lang | None = None
    ) -> Iterator[StreamEvent]:
        """One final event: an extractive answer is ready all at once."""
        yield StreamEvent(answer=self.ask(question, history, lang))

    def brief(self, topic: str, lang: Lang | None = None) -> Answer:
        """A pre-meeting briefing (see knowledge.answering.briefing)."""
        text = check_question(topic)
        return self.briefer.brief(text, request_lang(text, lang))

    def compare(self, vendors: Sequence[str], lang: Lang | None = None) -> Answer:
        """A per-criterion comparison of vendors' own statements (see answering.comparison)."""
        names = [check_question(vendor) for vendor in vendors]
        return self.briefer.compare(names, request_lang(" ".join(names), lang))

    def vendors(self) -> list[VendorSummary]:
        """The vendors with documents in the store (see knowledge.retrieval.vendors)."""
        try:
            return self.store_vendors.summaries()
        except Exception as error:
            if is_connection_error(error):
                raise StoreUnavailable() from error
            raise

    def healthy(self) -> bool:
        """True when the store answers."""
        try:
            self.retriever.index.store.chunks.count()
        except Exception:
            return False
        return True
