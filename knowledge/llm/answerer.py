"""LLMAssistant: the same retrieval, a fluent cited answer from a chat model, validated, and the
extractive answer whenever the model fails or cannot be verified."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from config.settings import Settings
from knowledge.api import Answer, StreamEvent, Turn, VendorSummary
from knowledge.assistant import KnowledgeAssistant, check_question, request_lang
from knowledge.llm.models import build_chat_model
from knowledge.llm.prompt import build_messages
from knowledge.llm.validate import validate
from knowledge.messages import message
from knowledge.retrieval.retriever import Retrieval
from store.language import Lang

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 8.0
_NOT_RETRIED = frozenset(range(400, 500)) - {408, 409, 429}  # the same request fails again


@dataclass(slots=True)
class _Run:
    """What one answer cost: for the log line."""

    usage: dict[str, int] = dataclasses.field(default_factory=dict)
    first_token_ms: float | None = None
    attempts: int = 0


class LLMAssistant:
    """An Assistant whose answers go through a chat model: the wrapped extractive assistant's
    retrieval, its answer as the fallback, and its briefings, comparisons and health as they are."""

    streams = True

    def __init__(
        self,
        base: KnowledgeAssistant,
        model: BaseChatModel,
        *,
        max_retries: int = 2,
        backoff: float = 0.5,
        secrets: Sequence[str] = (),
    ) -> None:
        self.base = base
        self.model = model
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self._secrets = tuple(secret for secret in secrets if secret)

    @classmethod
    def from_settings(cls, base: KnowledgeAssistant, settings: Settings) -> LLMAssistant:
        """Wrap `base` with the chat model of the settings (LLM_PROVIDER != none)."""
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        return cls(
            base,
            build_chat_model(settings),
            max_retries=settings.llm_max_retries,
            secrets=(key,),
        )

    def retrieve(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: dict[str, str] | None = None,
        k: int = 5,
    ) -> Retrieval:
        """The wrapped assistant's retrieval: the LLM sees exactly what extractive mode sees."""
        return self.base.retrieve(question, history, filters, k)

    def brief(self, topic: str, lang: Lang | None = None) -> Answer:
        """A pre-meeting briefing (extractive)."""
        return self.base.brief(topic, lang)

    def compare(self, vendors: Sequence[str], lang: Lang | None = None) -> Answer:
        """A comparison of vendors' statements (extractive)."""
        return self.base.compare(vendors, lang)

    def vendors(self) -> list[VendorSummary]:
        """The vendors with documents in the store."""
        return self.base.vendors()

    def healthy(self) -> bool:
        """True when the store answers (the LLM is optional: it never makes this false)."""
        return self.base.healthy()

    def ask(self, question: str, history: Sequence[Turn] = (), lang: Lang | None = None) -> Answer:
        """A validated LLM answer (one non-streaming request), or the extractive one."""
        for event in self._answer(question, history, lang, stream=False):
            if event.answer is not None:
                return event.answer
        raise AssertionError("the answer generator ended without a final event")  # pragma: no cover

    def stream(
        self, question: str, history: Sequence[Turn] = (), lang: Lang | None = None
    ) -> Iterator[StreamEvent]:
        """Text deltas as the model writes them, then one final event with the validated answer.

        LLM failures never raise: the final event then carries the extractive answer with a note.
        Retrieval errors (InvalidQuestion, StoreUnavailable) raise before any event, as in `ask`.
        """
        return self._answer(question, history, lang, stream=True)

    def _answer(
        self, question: str, history: Sequence[Turn], lang: Lang | None, *, stream: bool
    ) -> Iterator[StreamEvent]:
        text = check_question(question)
        started = time.perf_counter()
        retrieval = self.base.retrieve(text, history)
        lang = request_lang(text, lang)
        # The model reads what the extractive answer is read from: the hits and their sections.
        context = self.base.context(retrieval)
        extractive = self.base.answer_from(context, lang)
        if extractive.abstained:
            # Abstaining is retrieval's decision: nothing grounds an answer, so no model call.
            log.info("llm answer: outcome=abstained (no model call)")
            yield StreamEvent(answer=extractive)
            return

        messages = build_messages(text, context.hits, history)
        run = _Run()
        parts: list[str] = []
        failure = ""
        try:
            for delta in self._generate(messages, stream=stream, run=run, started=started):
                parts.append(delta)
                if stream:
                    yield StreamEvent(delta=delta)
        except Exception as error:  # any model failure: the user gets the extractive answer
            failure = self._describe(error)

        reply = "".join(parts).strip()
        if not failure and not reply:
            failure = "empty answer"
        outcome, final, kept, removed = "llm", extractive, 0, 0
        if failure:
            outcome = "fallback"
            log.warning("llm answer failed (%s); showing the extractive answer", failure)
        else:
            validation = validate(reply, context.hits, lang, self.base.domain.vendors)
            kept, removed = validation.kept, len(validation.removed)
            for removal in validation.removed:
                log.debug("llm answer: removed (%s): %s", removal.reason, removal.sentence)
            if validation.answer is not None:
                final = validation.answer
            else:
                outcome = "unverified"
        if outcome != "llm":
            note = message("llm_unverified", lang)
            final = dataclasses.replace(extractive, text="", notes=(*extractive.notes, note))
        log.info(
            "llm answer: outcome=%s model=%s stream=%s attempts=%d latency_ms=%.0f "
            "first_token_ms=%s input_tokens=%s output_tokens=%s total_tokens=%s "
            "kept=%d removed=%d",
            outcome,
            self._model_name(),
            stream,
            run.attempts,
            (time.perf_counter() - started) * 1000,
            "-" if run.first_token_ms is None else f"{run.first_token_ms:.0f}",
            run.usage.get("input_tokens", "-"),
            run.usage.get("output_tokens", "-"),
            run.usage.get("total_tokens", "-"),
            kept,
            removed,
        )
        yield StreamEvent(answer=final)

    def _generate(
        self, messages: list[BaseMessage], *, stream: bool, run: _Run, started: float
    ) -> Iterator[str]:
        """The model's text, piece by piece; a failure before the first piece is retried."""
        for attempt in range(self.max_retries + 1):
            run.attempts = attempt + 1
            produced = False
            try:
                if stream:
                    for chunk in self.model.stream(messages):
                        _add_usage(run.usage, getattr(chunk, "usage_metadata", None))
                        piece = _text_of(chunk.content)
                        if piece:
                            if run.first_token_ms is None:
                                run.first_token_ms = (time.perf_counter() - started) * 1000
                            produced = True
                            yield piece
                else:
                    message = self.model.invoke(messages)
                    _add_usage(run.usage, getattr(message, "usage_metadata", None))
                    run.first_token_ms = (time.perf_counter() - started) * 1000
                    piece = _text_of(message.content)
                    if piece:
                        produced = True
                        yield piece
                return
            except Exception as error:
                # Text already shown cannot be taken back by a retry; a client error repeats.
                if produced or attempt >= self.max_retries or not _retriable(error):
                    raise
                log.warning(
                    "llm request failed (%s); retry %d of %d",
                    self._describe(error),
                    attempt + 1,
                    self.max_retries,
                )
                time.sleep(min(self.backoff * 2**attempt, MAX_BACKOFF_SECONDS))

    def _describe(self, error: BaseException) -> str:
        """A one-line description of an error with every secret masked."""
        text = f"{type(error).__name__}: {' '.join(str(error).split())}"[:300]
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _model_name(self) -> str:
        for attribute in ("model_name", "model"):
            value = getattr(self.model, attribute, None)
            if isinstance(value, str) and value:
                return value
        return type(self.model).__name__


def _retriable(error: BaseException) -> bool:
    status = getattr(error, "status_code", None)
    return not (isinstance(status, int) and status in _NOT_RETRIED)


def _text_of(content: object) -> str:
    """The text of a message's content (a string, or a list of content blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
        return "".join(parts)
    return ""


def _add_usage(total: dict[str, int], usage: object) -> None:
    if not isinstance(usage, dict):
        return
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        value = usage.get(key)
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value
