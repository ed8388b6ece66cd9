"""An Assistant that survives a store that is down at start-up: it opens on first success."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence

from knowledge.api import Answer, Assistant, StoreUnavailable, StreamEvent, Turn
from store.language import Lang

log = logging.getLogger(__name__)


class DeferredAssistant:
    """Opens the real assistant now if it can; otherwise on a later call. Until then every call
    raises StoreUnavailable (users get the friendly message) and `healthy()` is False, so the
    bot keeps running instead of exiting while a Chroma server restarts."""

    def __init__(self, opener: Callable[[], Assistant]) -> None:
        self._opener = opener
        self._assistant: Assistant | None = None
        self._lock = threading.Lock()
        try:
            self._get()
        except StoreUnavailable as error:
            log.warning("starting without the knowledge base (%s); will retry on use", error)

    def _get(self) -> Assistant:
        with self._lock:
            if self._assistant is None:
                self._assistant = self._opener()
            return self._assistant

    def ask(self, question: str, history: Sequence[Turn] = (), lang: Lang | None = None) -> Answer:
        """The real assistant's ask."""
        return self._get().ask(question, history, lang)

    def stream(
        self, question: str, history: Sequence[Turn] = (), lang: Lang | None = None
    ) -> Iterator[StreamEvent]:
        """The real assistant's stream."""
        return self._get().stream(question, history, lang)

    @property
    def streams(self) -> bool:
        """True when the real assistant is open and writes answers progressively (an LLM)."""
        return self._assistant is not None and self._assistant.streams

    def brief(self, topic: str, lang: Lang | None = None) -> Answer:
        """The real assistant's brief."""
        return self._get().brief(topic, lang)

    def compare(self, vendors: Sequence[str], lang: Lang | None = None) -> Answer:
        """The real assistant's compare."""
        return self._get().compare(vendors, lang)

    def healthy(self) -> bool:
        """False while the store cannot be opened."""
        try:
            return self._get().healthy()
        except StoreUnavailable:
            return False
