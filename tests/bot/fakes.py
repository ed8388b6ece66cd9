"""Test doubles for the bot: an Assistant answering instantly with hostile HTML in every field."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from knowledge.api import (
    Answer,
    Attachment,
    Citation,
    Point,
    Section,
    StreamEvent,
    Turn,
    UnknownVendor,
    VendorSummary,
)

HOSTILE_TITLE = "Latency & <b>jitter</b> </i>"
HOSTILE_QUOTE = "Keep it < 200 ms & never <script>alert(1)</script>"
HOSTILE_URL = "https://example.com/a?x=1&y=<2>"


def hostile_citations() -> tuple[Citation, ...]:
    """Two citations whose titles, sections and quotes are full of HTML."""
    return (
        Citation(
            1,
            "guides/latency.md",
            HOSTILE_TITLE,
            "Targets > <i>voice",
            "c1",
            HOSTILE_QUOTE,
            source_url=HOSTILE_URL,
        ),
        Citation(2, "vendors/nimbus.md", "Nimbus <RTC>", "", "c2", "99.9% SLA & up"),
    )


class FakeAssistant:
    """Answers instantly (or after a small random delay), echoing the question with hostile text."""

    def __init__(self, delay: tuple[float, float] = (0.0, 0.0)) -> None:
        self.delay = delay
        self.calls: list[tuple[str, Any, tuple[Turn, ...]]] = []
        self.error: Exception | None = None
        self.is_healthy = True
        self.answer_override: Answer | None = None  # what `ask` answers instead, when set
        self._lock = threading.Lock()

    def _work(self) -> None:
        if self.error is not None:
            raise self.error
        if self.delay[1] > 0:
            time.sleep(random.uniform(*self.delay))

    streams = False

    def ask(self, question: str, history: Sequence[Turn] = (), lang: str | None = None) -> Answer:
        """An answer quoting the question, with citations."""
        with self._lock:
            self.calls.append(("ask", question, tuple(history)))
        self._work()
        if self.answer_override is not None:
            return self.answer_override
        return Answer(
            sections=(
                Section(
                    "",
                    (
                        Point(f"Answer to: {question}", cites=(1,)),
                        Point("Use <b>less</b> than 200 ms & test it", cites=(2,)),
                    ),
                ),
            ),
            citations=hostile_citations(),
            lang="zh" if lang == "zh" else "en",
        )

    def stream(
        self, question: str, history: Sequence[Turn] = (), lang: str | None = None
    ) -> Iterator[StreamEvent]:
        """The answer in one final event."""
        yield StreamEvent(answer=self.ask(question, history, lang))

    def brief(self, topic: str, lang: str | None = None) -> Answer:
        """A briefing with sections and a document."""
        with self._lock:
            self.calls.append(("brief", topic, ()))
        self._work()
        return Answer(
            title=f"Briefing: {topic}",
            sections=(
                Section(f"What matters for {topic}", (Point("Latency under 200 ms", cites=(1,)),)),
                Section("Gaps", (Point("Pricing"),)),
            ),
            citations=hostile_citations()[:1],
            kind="briefing",
            attachments=(Attachment("briefing.md", f"# Briefing: {topic}\n\n<full> & more\n"),),
        )

    def compare(self, vendors: Sequence[str], lang: str | None = None) -> Answer:
        """A comparison with Markdown and CSV documents; unknown names raise UnknownVendor."""
        with self._lock:
            self.calls.append(("compare", tuple(vendors), ()))
        self._work()
        if "Nobody" in vendors:
            raise UnknownVendor(name="Nobody", closest="Nimbus, Zephyr")
        return Answer(
            sections=(
                Section(
                    "Latency",
                    tuple(Point("200 ms", cites=(1,), label=vendor) for vendor in vendors),
                ),
            ),
            citations=hostile_citations()[:1],
            kind="comparison",
            attachments=(
                Attachment("comparison.md", "| a | b |\n"),
                Attachment("comparison.csv", "criterion,a,b\n", "text/csv"),
            ),
        )

    def vendors(self) -> list[VendorSummary]:
        """Two vendors, one known only by its documents."""
        with self._lock:
            self.calls.append(("vendors", "", ()))
        return [
            VendorSummary("Nimbus", ("雨云",), 2, 14, ("en", "zh"), "2025-05-01"),
            VendorSummary("Zephyr <b>", (), 1, 3, ("en",), ""),
        ]

    def healthy(self) -> bool:
        """As configured by the test."""
        return self.is_healthy


def word_embed(texts: list[str]) -> np.ndarray:
    """A stand-in for the embedding model: bag of words hashed into 64 dimensions, so wordings
    sharing most words land close together (no model loads in the bot tests)."""
    vectors = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().replace("?", " ").split():
            vectors[row, sum(map(ord, word)) % 64] += 1.0
    return vectors
