"""Streaming an answer into one Telegram message: throttled edits, the final validated text,
Telegram's "not modified" and flood errors, and errors of the assistant."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from telegram.error import BadRequest, RetryAfter

from bot.streaming import TelegramSink, partial_text, stream_answer
from knowledge.api import Answer, Citation, InvalidQuestion
from knowledge.assistant import KnowledgeAssistant
from knowledge.domain import load_domain
from knowledge.llm import LLMAssistant, StreamEvent
from knowledge.retrieval.retriever import Hit, Retrieval
from knowledge.retrieval.text import tokenize
from store.schema import Chunk

INTERVAL = 0.1  # seconds between edits in these tests (Telegram's is about one)
ANSWER = Answer(
    text="Run the proof of concept on weak networks [1].",
    citations=(Citation(1, "poc.md", "POC plan", "", "c1", "Run the proof of concept."),),
)


@dataclass
class FakeBot:
    """Records send_message / edit_message_text calls with their times; behaves like Telegram
    for unchanged text, and raises the scripted errors once each."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    edit_errors: list[Exception] = field(default_factory=list)
    current: str | None = None
    next_id: int = 100

    async def send_message(self, **kwargs: Any) -> SimpleNamespace:
        self.calls.append({"method": "send", "at": time.monotonic(), **kwargs})
        self.current = kwargs["text"]
        self.next_id += 1
        return SimpleNamespace(message_id=self.next_id)

    async def edit_message_text(self, **kwargs: Any) -> None:
        self.calls.append({"method": "edit", "at": time.monotonic(), **kwargs})
        if self.edit_errors:
            raise self.edit_errors.pop(0)
        if kwargs["text"] == self.current:
            raise BadRequest("Message is not modified: specified new message content is the same")
        self.current = kwargs["text"]


def deltas_then(
    pieces: Sequence[str], answer: Answer = ANSWER, pause: float = 0.01
) -> Iterator[StreamEvent]:
    """A blocking event stream, like LLMAssistant.ask_stream."""
    for piece in pieces:
        time.sleep(pause)
        yield StreamEvent(delta=piece)
    yield StreamEvent(answer=answer)


def render(answer: Answer) -> str:
    """A stand-in for the bot's HTML renderer."""
    return f"<b>{answer.text}</b>"


async def run(bot: FakeBot, events: Any, **kwargs: Any) -> Answer:
    sink = TelegramSink(bot, chat_id=42, final_markup="BUTTONS", reply_to=7)
    return await asyncio.wait_for(
        stream_answer(events, sink, kwargs.pop("render", render), min_interval=INTERVAL, **kwargs),
        timeout=10,
    )


async def test_one_message_edited_at_most_once_per_interval_ending_with_the_final_text() -> None:
    bot = FakeBot()
    words = [f"word{i} " for i in range(60)]  # about 0.6 s of deltas
    answer = await run(bot, lambda: deltas_then(words))

    assert answer is ANSWER
    assert [c["method"] for c in bot.calls].count("send") == 1  # one message …
    assert all(c["message_id"] == 101 for c in bot.calls if c["method"] == "edit")  # … edited
    times = [c["at"] for c in bot.calls]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= INTERVAL * 0.9
    assert 3 <= len(bot.calls) < 30  # throttled: far fewer than the 61 events
    # Partial text is plain and grows; the last call is the rendered final answer with buttons.
    partials = bot.calls[:-1]
    assert all(c["parse_mode"] is None and c["reply_markup"] is None for c in partials)
    assert partials[0]["reply_parameters"].message_id == 7
    assert all(c["text"].endswith(" …") for c in partials)
    last = bot.calls[-1]
    assert last["text"] == "<b>Run the proof of concept on weak networks [1].</b>"
    assert last["parse_mode"] == "HTML" and last["reply_markup"] == "BUTTONS"


async def test_unchanged_text_is_not_edited_again() -> None:
    bot = FakeBot()
    # Whitespace only after the first word: the rendered partial text does not change.
    await run(bot, lambda: deltas_then(["Hello"] + [" "] * 30, pause=0.01))
    partial_texts = [c["text"] for c in bot.calls[:-1]]
    assert partial_texts == ["Hello …"]


async def test_message_is_not_modified_is_harmless() -> None:
    bot = FakeBot()
    answer = await run(
        bot,
        lambda: deltas_then(["same"]),
        render=lambda a: "same …",  # the final text equals the partial one
    )
    assert answer is ANSWER
    assert [c["method"] for c in bot.calls] == ["send", "edit"]


async def test_a_refused_partial_edit_stops_partial_updates_but_not_the_final_text() -> None:
    bot = FakeBot(edit_errors=[BadRequest("Can't parse entities")])
    await run(bot, lambda: deltas_then([f"w{i} " for i in range(40)]))
    edits = [c for c in bot.calls if c["method"] == "edit"]
    assert len(edits) == 2  # the refused one, then only the final
    assert bot.current == render(ANSWER)


async def test_flood_control_on_a_partial_edit_is_honoured() -> None:
    bot = FakeBot(edit_errors=[RetryAfter(0.3)])
    await run(bot, lambda: deltas_then([f"w{i} " for i in range(50)]))
    edits = [c for c in bot.calls if c["method"] == "edit"]
    assert edits[1]["at"] - edits[0]["at"] >= 0.3 * 0.9
    assert bot.current == render(ANSWER)


async def test_flood_control_on_the_final_edit_is_retried() -> None:
    bot = FakeBot()

    def events() -> Iterator[StreamEvent]:
        yield StreamEvent(delta="Run the")
        time.sleep(0.02)
        bot.edit_errors.append(RetryAfter(0.2))
        yield StreamEvent(answer=ANSWER)

    await run(bot, events)
    assert bot.current == render(ANSWER)
    assert [c["method"] for c in bot.calls] == ["send", "edit", "edit"]


async def test_an_answer_without_deltas_is_sent_once() -> None:
    bot = FakeBot()
    abstained = Answer(text="The knowledge base does not cover this.", abstained=True)
    await run(bot, lambda: iter([StreamEvent(answer=abstained)]))
    assert [(c["method"], c["text"]) for c in bot.calls] == [
        ("send", "<b>The knowledge base does not cover this.</b>")
    ]


async def test_a_long_final_answer_continues_in_new_messages_with_buttons_on_the_last() -> None:
    bot = FakeBot()
    await run(bot, lambda: deltas_then(["Run"]), render=lambda a: ["part one", "part two"])
    assert [(c["method"], c["text"]) for c in bot.calls] == [
        ("send", "Run …"),
        ("edit", "part one"),
        ("send", "part two"),
    ]
    assert bot.calls[1]["reply_markup"] is None and bot.calls[2]["reply_markup"] == "BUTTONS"


async def test_placeholder_is_sent_before_the_first_words() -> None:
    bot = FakeBot()
    await run(bot, lambda: deltas_then(["Run "], pause=0.05), placeholder="…")
    assert bot.calls[0]["method"] == "send" and bot.calls[0]["text"] == "…"
    assert bot.current == render(ANSWER)


async def test_errors_of_the_assistant_are_raised_to_the_caller() -> None:
    def events() -> Iterator[StreamEvent]:
        raise InvalidQuestion("empty_question")
        yield  # pragma: no cover

    with pytest.raises(InvalidQuestion, match="Please type a question"):
        await run(FakeBot(), events)


async def test_the_blocking_iterator_runs_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def events() -> Iterator[StreamEvent]:
        seen.append(threading.get_ident())
        yield from deltas_then(["a"])

    await run(FakeBot(), events)
    assert seen and seen[0] != loop_thread


def test_partial_text_stays_under_telegrams_limit() -> None:
    assert len(partial_text("x" * 10_000)) < 4096
    assert partial_text("") == "…"


# --- with the real LLMAssistant and a model that fails midway -----------------------------


class _Base(KnowledgeAssistant):
    """Fixed retrieval of one chunk; no store, no embedding model."""

    def __init__(self) -> None:
        lexical = SimpleNamespace(idf=lambda term: 1.0)
        index = SimpleNamespace(snapshot=lambda: SimpleNamespace(lexical=lexical))
        retriever = SimpleNamespace(index=index, sentence_vectors=lambda chunks: {})
        super().__init__(retriever, load_domain())  # type: ignore[arg-type]
        chunk = Chunk(
            text="Run the proof of concept on weak networks with 30% packet loss.",
            source="poc.md",
            chunk_index=0,
            title="POC plan",
        )
        terms = tuple(tokenize("proof of concept weak networks"))
        self.fixed = Retrieval(
            query="q",
            hits=(Hit(chunk, 0.03, 0.9, 5.0),),
            terms=terms,
            term_weights=(1.0,) * len(terms),
            top_dense=0.9,
        )

    def retrieve(self, question: str, history: Sequence[Any] = (), filters=None, k=5):  # type: ignore[no-untyped-def]
        return self.fixed


async def test_an_llm_failure_midway_ends_in_the_extractive_answer_not_an_error() -> None:
    model = FakeListChatModel(
        responses=["Run the proof of concept on weak networks [1]."], error_on_chunk_number=20
    )
    assistant = LLMAssistant(_Base(), model, max_retries=0)
    bot = FakeBot()
    answer = await run(bot, lambda: assistant.stream("How to test weak networks?"))
    assert answer.notes == ("The LLM answer could not be verified; showing the extractive answer.",)
    assert bot.current == render(answer)
    assert "Here is what the knowledge base says" in (bot.current or "")
