"""The default Assistant: hybrid retrieval and the extractive composer over one store."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from knowledge.answer import Answer, Turn
from knowledge.answering.compose import Thresholds, compose_answer
from knowledge.errors import InvalidQuestion, StoreUnavailable
from knowledge.retrieval.followup import retrieval_query
from knowledge.retrieval.retriever import HybridRetriever, Retrieval
from knowledge.retrieval.text import detect_lang
from knowledge.service import MAX_QUESTION_CHARS
from store.client import is_connection_error

if TYPE_CHECKING:
    from knowledge.answering.briefing import Briefer

log = logging.getLogger(__name__)


def check_question(question: str) -> str:
    """The question, trimmed; InvalidQuestion when empty or over the length limit."""
    text = " ".join(question.split())
    if not text:
        raise InvalidQuestion("Please type a question.")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestion(
            f"That question is {len(text)} characters long; please keep it under "
            f"{MAX_QUESTION_CHARS} characters (one question at a time works best)."
        )
    return text


class KnowledgeAssistant:
    """Answers from the store; every method may raise KnowledgeError with a message to show."""

    def __init__(
        self,
        retriever: HybridRetriever,
        thresholds: Thresholds | None = None,
        briefer: Briefer | None = None,
    ) -> None:
        self.retriever = retriever
        self.thresholds = thresholds or Thresholds()
        self.briefer = briefer

    def retrieve(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: dict[str, str] | None = None,
        k: int = 5,
    ) -> Retrieval:
        """The hits for a question (follow-ups resolved against `history`)."""
        query = retrieval_query(question, history, self.retriever.glossary)
        try:
            return self.retriever.retrieve(query, k=k, filters=filters)
        except StoreUnavailable:
            raise
        except Exception as error:
            if is_connection_error(error):
                raise StoreUnavailable() from error
            raise

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """A cited answer, or an abstention."""
        text = check_question(question)
        started = time.perf_counter()
        retrieval = self.retrieve(text, history)
        lang = detect_lang(text)
        answer = compose_answer(
            retrieval, lang, self.retriever.index.snapshot().lexical.idf, self.thresholds
        )
        log.info(
            "ask: %d hits, top_dense=%.3f coverage=%.2f abstained=%s in %.0f ms",
            len(retrieval.hits),
            retrieval.top_dense,
            retrieval.coverage,
            answer.abstained,
            (time.perf_counter() - started) * 1000,
        )
        return answer

    def brief(self, topic: str) -> Answer:
        """A pre-meeting briefing (see knowledge.answering.briefing)."""
        if self.briefer is None:
            raise InvalidQuestion("Briefings are not available in this set-up.")
        return self.briefer.brief(check_question(topic))

    def compare(self, vendors: Sequence[str]) -> Answer:
        """A per-criterion comparison of vendors' own statements (see answering.comparison)."""
        if self.briefer is None:
            raise InvalidQuestion("Comparisons are not available in this set-up.")
        return self.briefer.compare([check_question(vendor) for vendor in vendors])

    def healthy(self) -> bool:
        """True when the store answers."""
        try:
            self.retriever.index.store.chunks.count()
        except Exception:
            return False
        return True
