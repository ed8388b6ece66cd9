"""Streaming an LLM answer into one Telegram message: the text grows by edits, at most about one
edit per second (Telegram's per-chat limit), and ends as the validated answer with its sources.

The assistant's `ask_stream` is a blocking iterator; it runs in a worker thread and hands its
events to the event loop through an asyncio.Queue. Rendering and delivery are parameters (a
`render(answer)` callable and a `MessageSink`), so this module depends on no other part of bot/.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter

from knowledge.api import Answer, StreamEvent

log = logging.getLogger(__name__)

EDIT_INTERVAL_SECONDS = 1.0
PARTIAL_LIMIT = 3900  # under Telegram's 4,096, leaving room for the ellipsis
MAX_IDLE_SECONDS = 300.0  # no event for this long: the producer is stuck (the LLM has timeouts)
MAX_RETRY_AFTER_SECONDS = 30.0
FINAL_ATTEMPTS = 3
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class MessageSink(Protocol):
    """Where the streamed reply goes: one message that is sent once, then edited."""

    async def send(self, text: str, *, formatted: bool, last: bool) -> None:
        """Send a new message; later edits change this one."""
        ...

    async def edit(self, text: str, *, formatted: bool, last: bool) -> None:
        """Replace the text of the message sent last."""
        ...


def partial_text(text: str) -> str:
    """The answer so far, as plain text with a trailing ellipsis, kept under the size limit."""
    text = text.strip()
    if len(text) > PARTIAL_LIMIT:
        text = text[:PARTIAL_LIMIT].rstrip()
    return f"{text} …" if text else "…"


@dataclass
class TelegramSink:
    """A MessageSink on PTB's Bot: partial text plain, the final text in `parse_mode` with the
    buttons (`final_markup`) on the last message."""

    bot: Any  # telegram.Bot, or anything with send_message / edit_message_text
    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None
    parse_mode: str | None = ParseMode.HTML
    final_markup: Any = None
    message_id: int | None = None

    async def send(self, text: str, *, formatted: bool, last: bool) -> None:
        """Send a message (quoting `reply_to` the first time) and remember its id."""
        first = self.message_id is None
        reply = ReplyParameters(self.reply_to) if self.reply_to and first else None
        message = await self.bot.send_message(
            chat_id=self.chat_id,
            text=text,
            parse_mode=self.parse_mode if formatted else None,
            message_thread_id=self.thread_id,
            reply_parameters=reply,
            link_preview_options=_NO_PREVIEW,
            reply_markup=self.final_markup if formatted and last else None,
        )
        self.message_id = message.message_id

    async def edit(self, text: str, *, formatted: bool, last: bool) -> None:
        """Edit the message sent last."""
        await self.bot.edit_message_text(
            text=text,
            chat_id=self.chat_id,
            message_id=self.message_id,
            parse_mode=self.parse_mode if formatted else None,
            link_preview_options=_NO_PREVIEW,
            reply_markup=self.final_markup if formatted and last else None,
        )


class _End:
    """The producer finished (its last event was already queued)."""


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


def _not_modified(error: BadRequest) -> bool:
    return "not modified" in str(error).lower()


class _Streamer:
    """One streamed reply: the state of the message and the throttle."""

    def __init__(
        self,
        sink: MessageSink,
        render_partial: Callable[[str], str],
        min_interval: float,
    ) -> None:
        self.sink = sink
        self.render_partial = render_partial
        self.min_interval = min_interval
        self.loop = asyncio.get_running_loop()
        self.sent = False
        self.shown = ""
        self.next_edit_at = 0.0  # loop time before which no edit is made
        self.live = True  # False after a partial edit failed: only the final text is tried

    def wait_left(self) -> float:
        return max(0.0, self.next_edit_at - self.loop.time())

    async def _put(self, text: str, *, formatted: bool, last: bool) -> None:
        if self.sent:
            await self.sink.edit(text, formatted=formatted, last=last)
        else:
            await self.sink.send(text, formatted=formatted, last=last)
            self.sent = True
        self.shown = text

    async def placeholder(self, text: str) -> None:
        """Send the message at once, before the first words arrive."""
        self.next_edit_at = self.loop.time() + self.min_interval
        await self._put(text, formatted=False, last=False)

    async def partial(self, text: str) -> None:
        """Show the answer so far (the caller checked the throttle)."""
        rendered = self.render_partial(text)
        if not self.live or rendered == self.shown:
            return
        self.next_edit_at = self.loop.time() + self.min_interval
        try:
            await self._put(rendered, formatted=False, last=False)
        except RetryAfter as error:
            # Telegram asks for a pause: honour it, later partial text will catch up.
            self.next_edit_at = self.loop.time() + _seconds(error.retry_after)
        except BadRequest as error:
            if _not_modified(error):
                self.shown = rendered
            else:
                log.warning("streaming: partial edit refused (%s); waiting for the end", error)
                self.live = False

    async def final(self, parts: Sequence[str]) -> None:
        """Replace the message with the first part of the final text, then send the rest."""
        for index, text in enumerate(parts):
            last = index == len(parts) - 1
            for attempt in range(FINAL_ATTEMPTS):
                await asyncio.sleep(self.wait_left())
                self.next_edit_at = self.loop.time() + self.min_interval
                try:
                    if index == 0:
                        await self._put(text, formatted=True, last=last)
                    else:
                        await self.sink.send(text, formatted=True, last=last)
                    break
                except RetryAfter as error:
                    if attempt == FINAL_ATTEMPTS - 1:
                        raise
                    self.next_edit_at = self.loop.time() + _seconds(error.retry_after)
                except BadRequest as error:
                    if index == 0 and self.sent and _not_modified(error):
                        break
                    raise


def _seconds(retry_after: object) -> float:
    value = getattr(retry_after, "total_seconds", None)
    seconds = float(value()) if callable(value) else float(retry_after)  # type: ignore[arg-type]
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _as_parts(rendered: str | Sequence[str]) -> list[str]:
    parts = [rendered] if isinstance(rendered, str) else [p for p in rendered if p]
    return parts or ["…"]


async def stream_answer(
    events: Callable[[], Iterable[StreamEvent]],
    sink: MessageSink,
    render: Callable[[Answer], str | Sequence[str]],
    *,
    render_partial: Callable[[str], str] = partial_text,
    min_interval: float = EDIT_INTERVAL_SECONDS,
    placeholder: str | None = None,
    max_idle: float = MAX_IDLE_SECONDS,
) -> Answer:
    """Stream an answer into one message, edited at most once per `min_interval`; returns the
    final (validated or fallback) Answer.

    `events` is called in a worker thread (e.g. `lambda: assistant.ask_stream(q, history)`), so
    retrieval runs off the event loop too. `render(answer)` gives the final text, or its parts
    when it is too long for one message (the first part replaces the streamed text, the others
    follow as new messages). Errors of the assistant (InvalidQuestion, StoreUnavailable) are
    raised here, after any partial message was left as it was.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[StreamEvent | _End | _Failed] = asyncio.Queue()
    stop = threading.Event()

    def produce() -> None:
        iterator = iter(events())
        try:
            for event in iterator:
                loop.call_soon_threadsafe(queue.put_nowait, event)
                if stop.is_set() or event.final:
                    break
        except BaseException as error:  # handed to the event loop and raised there
            loop.call_soon_threadsafe(queue.put_nowait, _Failed(error))
        finally:
            close = getattr(iterator, "close", None)
            if callable(close):
                with contextlib.suppress(Exception):
                    close()  # a generator stopped early releases its HTTP stream here
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                loop.call_soon_threadsafe(queue.put_nowait, _End())

    streamer = _Streamer(sink, render_partial, min_interval)
    producer = asyncio.ensure_future(asyncio.to_thread(produce))
    text = ""
    dirty = False
    try:
        if placeholder:
            await streamer.placeholder(placeholder)
        while True:
            timeout = streamer.wait_left() if dirty and streamer.live else max_idle
            try:
                item = await asyncio.wait_for(queue.get(), timeout=timeout)
            except TimeoutError:
                if dirty and streamer.live:
                    await streamer.partial(text)
                    dirty = False
                    continue
                raise TimeoutError(f"no answer event for {max_idle:.0f} s") from None
            if isinstance(item, _Failed):
                raise item.error
            if isinstance(item, _End):
                raise RuntimeError("the answer stream ended without a final answer")
            if item.answer is not None:
                await streamer.final(_as_parts(render(item.answer)))
                return item.answer
            if item.delta:
                text += item.delta
                dirty = True
                if streamer.live and streamer.wait_left() == 0.0:
                    await streamer.partial(text)
                    dirty = False
    finally:
        stop.set()
        # The worker ends by itself after the final event; bounded by the LLM's own timeouts.
        if not producer.done():
            producer.add_done_callback(lambda task: task.exception())
