"""The transport-independent conversation core: one place that turns a command into a reply.

Telegram handlers and the console both build an `Incoming` and call `Conversation.handle`;
they differ only in how they deliver the `Reply`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.commands import ADMIN_COMMANDS, NAMES, QUESTION_COMMANDS, help_text, split_vendors
from bot.insights import elapsed_ms, gaps_text, stats_text
from bot.meetings import MeetingError, local_hhmm, parse_meeting, valid_timezone
from bot.ratelimit import RateLimiter
from bot.state import BotState, ConversationKey, Meeting
from bot.texts import reply_lang, t
from bot.uploads import Uploader, UploadRejected
from knowledge.answering.vendor_list import vendors_answer
from knowledge.api import (
    MAX_QUESTION_CHARS,
    Answer,
    Assistant,
    KnowledgeError,
    StoreUnavailable,
    Turn,
)
from knowledge.gaps import EmbedFn
from knowledge.usage import UsageLog
from store.language import Lang

log = logging.getLogger(__name__)

CONTEXT_TTL_SECONDS = 30 * 60
# A question still unanswered after this long gets a message rather than silence (the worker
# thread cannot be interrupted and finishes in the background).
ANSWER_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class Incoming:
    """A routed request: who asks, where, and which command with what argument."""

    chat_id: int
    user_id: int
    command: str
    argument: str = ""
    thread_id: int = 0
    is_group: bool = False
    language_code: str | None = None
    remember: bool = True  # False for inline queries: no memory, no stored answer
    replied_answer_id: int | None = None  # the bot's answer this message replies to

    @property
    def key(self) -> ConversationKey:
        """One memory per private chat, and per group and forum topic: whoever speaks in a
        thread continues it (a reply to an answer continues that answer's topic)."""
        return ConversationKey(self.chat_id, 0, self.thread_id)

    @property
    def chat_type(self) -> str:
        """ "group" or "private", as the usage log records it (never the user)."""
        return "group" if self.is_group else "private"

    @property
    def lang(self) -> Lang:
        """The language to reply in (bot.texts.reply_lang)."""
        return reply_lang(self.argument, self.language_code)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send back. `notice` is the bot's own text; `answer` a cited answer to render."""

    lang: str
    notice: str = ""
    answer: Answer | None = None
    answer_id: int | None = None
    question: str = ""
    show_quotes: bool = False
    meetings: tuple[Meeting, ...] = field(default=())
    delivered: bool = False  # already shown to the user (streamed); nothing left to send


class StreamDelivery(Protocol):
    """Shows an answer while it is being written (an LLM's stream), then its final form."""

    async def deliver(
        self, events: Callable[[], Iterable[Any]], finish: Callable[[Answer], Reply]
    ) -> Answer:
        """Consume `events` (blocking; run off the loop), show partial text, and end with the
        reply `finish(answer)` returns for the final answer; returns that answer."""
        ...


class Scheduler(Protocol):
    """Arms and disarms the timers that post scheduled briefings (Telegram's JobQueue)."""

    def arm(self, meeting: Meeting) -> None:
        """Post the meeting's briefing at its `post_at` (at once if that has passed)."""
        ...

    def disarm(self, meeting_id: int) -> None:
        """Forget the timer of a cancelled meeting."""
        ...


class Conversation:
    """Routes commands to the assistant and the bot's state, and says what to reply."""

    def __init__(
        self,
        assistant: Assistant,
        state: BotState,
        *,
        admins: Collection[int] = (),
        limiter: RateLimiter | None = None,
        uploader: Uploader | None = None,
        scheduler: Scheduler | None = None,
        context_ttl: float = CONTEXT_TTL_SECONDS,
        answer_timeout: float = ANSWER_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        usage: UsageLog | None = None,
        embed: EmbedFn | None = None,
    ) -> None:
        self.assistant = assistant
        self.state = state
        self.admins = frozenset(admins)
        self.limiter = limiter or RateLimiter(max_events=0)
        self.uploader = uploader
        self.scheduler = scheduler
        self.context_ttl = context_ttl
        self.answer_timeout = answer_timeout
        self._clock = clock
        self.usage = usage  # the usage log /gaps and /stats read (None: not kept)
        self.embed = embed  # groups /gaps by meaning (None: identical wordings only)
        # Dispatch: one handler per name of the command table (bot/commands.py).
        self._handlers: dict[str, Callable[[Incoming], Awaitable[Reply]]] = {
            "ask": self._on_ask,
            "brief": self._on_brief,
            "compare": self._on_compare,
            "vendors": self._on_vendors,
            "sources": self._on_sources,
            "reset": self._on_reset,
            "meeting": self._on_meeting,
            "meetings": self._on_meetings,
            "timezone": self._on_timezone,
            "help": self._on_help,
            "start": self._on_help,
            "gaps": self._on_gaps,
            "stats": self._on_stats,
        }
        assert set(self._handlers) == NAMES, "the command table and the handlers disagree"

    async def handle(self, incoming: Incoming, stream: StreamDelivery | None = None) -> Reply:
        """The reply to one command; knowledge errors become messages, bugs propagate. With
        `stream`, an assistant that writes its answers progressively (an LLM) is shown live."""
        command = incoming.command
        handler = self._handlers.get(command)
        if handler is None:
            return Reply(incoming.lang, notice=t("unknown_command", incoming.lang))
        if command in ADMIN_COMMANDS and not self.is_admin(incoming.user_id):
            return Reply(incoming.lang, notice=t("admins_only", incoming.lang))
        started = time.perf_counter()
        reply = await (self._on_ask(incoming, stream) if command == "ask" else handler(incoming))
        if command in QUESTION_COMMANDS and reply.answer is not None and self.usage is not None:
            self.usage.record_question(
                chat_type="inline" if not incoming.remember else incoming.chat_type,
                command=command,
                question=reply.question or incoming.argument.strip(),
                abstained=reply.answer.abstained,
                elapsed_ms=elapsed_ms(started),
                answer_id=reply.answer_id,
            )
        return reply

    # Questions -------------------------------------------------------------------------------

    def _refusal(self, incoming: Incoming, usage: str) -> Reply | None:
        """Why a question is not asked (empty, too long, too fast), or None to go ahead."""
        lang = incoming.lang
        text = incoming.argument.strip()
        if not text:
            return Reply(lang, notice=t(usage, lang))
        if len(text) > MAX_QUESTION_CHARS:
            return Reply(
                lang, notice=t("too_long", lang, length=len(text), limit=MAX_QUESTION_CHARS)
            )
        wait = self.limiter.hit(incoming.user_id)
        if wait:
            return Reply(lang, notice=t("rate_limited", lang, seconds=wait))
        return None

    async def _call(self, incoming: Incoming, call: Callable[[], Answer]) -> Answer | Reply:
        """Run a blocking assistant call in a worker thread; knowledge errors become notices."""
        return await self._guarded(incoming, asyncio.to_thread(call))

    async def _guarded(self, incoming: Incoming, work: Awaitable[Answer]) -> Answer | Reply:
        """Await an answer within the time limit; knowledge errors become notices."""
        try:
            return await asyncio.wait_for(work, self.answer_timeout)
        except TimeoutError:
            log.error("no answer within %.0f s", self.answer_timeout)
            return Reply(incoming.lang, notice=t("timeout", incoming.lang))
        except StoreUnavailable as error:
            log.warning("knowledge store unavailable: %s", error)
            return Reply(incoming.lang, notice=t("store_unavailable", incoming.lang))
        except KnowledgeError as error:
            return Reply(incoming.lang, notice=error.message(incoming.lang))

    def _answered(self, incoming: Incoming, question: str, answer: Answer) -> Reply:
        answer_id = self.state.save_answer(incoming.key, question, answer)
        return Reply(incoming.lang, answer=answer, answer_id=answer_id, question=question)

    async def _on_ask(self, incoming: Incoming, stream: StreamDelivery | None = None) -> Reply:
        refusal = self._refusal(incoming, "ask_usage")
        if refusal:
            return refusal
        question = incoming.argument.strip()
        history = self._history(incoming)
        lang = incoming.lang
        if stream is not None and self.assistant.streams and incoming.remember:
            return await self._ask_streamed(
                incoming,
                question,
                stream,
                lambda: self.assistant.stream(question, history, lang),
            )
        result = await self._call(incoming, lambda: self.assistant.ask(question, history, lang))
        if isinstance(result, Reply):
            return result
        if not incoming.remember:
            return Reply(incoming.lang, answer=result, question=question)
        return self._remembered(incoming, question, result)

    def _history(self, incoming: Incoming) -> list[Turn]:
        """What a question follows: the answer it replies to (its question and cited text, so
        retrieval follows the same topic), else the thread's recent turns."""
        if not incoming.remember:
            return []
        if incoming.replied_answer_id is not None:
            replied = self.state.get_answer(incoming.replied_answer_id)
            if replied is not None:
                return [Turn(question=replied.question, answer=replied.answer.text)]
        return self.state.history(incoming.key, self.context_ttl)

    def _remembered(self, incoming: Incoming, question: str, answer: Answer) -> Reply:
        self.state.add_turn(incoming.key, question, answer.text, self.context_ttl)
        return self._answered(incoming, question, answer)

    async def _ask_streamed(
        self,
        incoming: Incoming,
        question: str,
        stream: StreamDelivery,
        events: Callable[[], Iterable[Any]],
    ) -> Reply:
        finished: list[Reply] = []

        def finish(answer: Answer) -> Reply:
            finished.append(self._remembered(incoming, question, answer))
            return finished[-1]

        result = await self._guarded(incoming, stream.deliver(events, finish))
        if isinstance(result, Reply):
            return result
        if not finished:  # the stream ended without showing the answer: send it normally
            return self._remembered(incoming, question, result)
        return replace(finished[-1], delivered=True)

    async def _on_brief(self, incoming: Incoming) -> Reply:
        refusal = self._refusal(incoming, "brief_usage")
        if refusal:
            return refusal
        topic = incoming.argument.strip()
        result = await self._call(incoming, lambda: self.assistant.brief(topic, incoming.lang))
        if isinstance(result, Reply):
            return result
        return self._answered(incoming, f"/brief {topic}", result)

    async def _on_compare(self, incoming: Incoming) -> Reply:
        vendors = split_vendors(incoming.argument)
        if len(vendors) < 2:
            return Reply(incoming.lang, notice=t("compare_usage", incoming.lang))
        refusal = self._refusal(incoming, "compare_usage")
        if refusal:
            return refusal
        result = await self._call(incoming, lambda: self.assistant.compare(vendors, incoming.lang))
        if isinstance(result, Reply):
            return result
        return self._answered(incoming, f"/compare {' '.join(vendors)}", result)

    async def _on_vendors(self, incoming: Incoming) -> Reply:
        lang = incoming.lang
        result = await self._call(incoming, lambda: vendors_answer(self.assistant.vendors(), lang))
        if isinstance(result, Reply):
            return result
        return Reply(lang, answer=result)

    # Conversation commands -------------------------------------------------------------------

    async def _on_help(self, incoming: Incoming) -> Reply:
        return Reply(incoming.lang, notice=help_text(incoming.lang))

    async def _on_reset(self, incoming: Incoming) -> Reply:
        self.state.reset(incoming.key)
        return Reply(incoming.lang, notice=t("reset", incoming.lang))

    async def _on_sources(self, incoming: Incoming) -> Reply:
        stored = self.state.last_answer(incoming.key, with_sources=True)
        if stored is None:
            return Reply(incoming.lang, notice=t("no_sources", incoming.lang))
        return Reply(
            incoming.lang,
            answer=stored.answer,
            answer_id=stored.id,
            question=stored.question,
            show_quotes=True,
        )

    def stored_reply(self, answer_id: int, lang: str, *, show_quotes: bool) -> Reply:
        """A stored answer again (for its Quotes and document buttons)."""
        stored = self.state.get_answer(answer_id)
        if stored is None:
            return Reply(lang, notice=t("answer_gone", lang))
        return Reply(
            lang,
            answer=stored.answer,
            answer_id=stored.id,
            question=stored.question,
            show_quotes=show_quotes,
        )

    def vote(self, answer_id: int, chat_id: int, user_id: int, vote: int, lang: str) -> str:
        """Store 👍/👎 feedback; the short text to acknowledge it with."""
        if not self.state.record_vote(answer_id, chat_id, user_id, vote):
            return t("answer_gone", lang)
        if self.usage is not None:
            self.usage.record_votes(answer_id, *self.state.vote_counts(answer_id))
        return t("feedback_thanks", lang)

    # Admins: what the knowledge base lacks, and usage -----------------------------------------

    async def _on_gaps(self, incoming: Incoming) -> Reply:
        if self.usage is None:
            return Reply(incoming.lang, notice=t("gaps_none", incoming.lang, days=0))
        return Reply(incoming.lang, notice=await gaps_text(self.usage, self.embed, incoming.lang))

    async def _on_stats(self, incoming: Incoming) -> Reply:
        if self.usage is None:
            return Reply(incoming.lang, notice=t("unknown_command", incoming.lang))
        return Reply(incoming.lang, notice=stats_text(self.usage, incoming.lang))

    # Time zones and scheduled briefings ------------------------------------------------------

    async def _on_timezone(self, incoming: Incoming) -> Reply:
        lang = incoming.lang
        value = incoming.argument.strip()
        if not value:
            return Reply(
                lang, notice=t("timezone_current", lang, tz=self.state.timezone(incoming.user_id))
            )
        zone = valid_timezone(value)
        if zone is None:
            return Reply(lang, notice=t("timezone_invalid", lang, value=value))
        self.state.set_timezone(incoming.user_id, zone)
        return Reply(lang, notice=t("timezone_set", lang, tz=zone))

    async def _on_meeting(self, incoming: Incoming) -> Reply:
        lang = incoming.lang
        if self.scheduler is None:
            return Reply(lang, notice=t("console_only_telegram", lang))
        tz = self.state.timezone(incoming.user_id)
        now = datetime.fromtimestamp(self._clock(), UTC)
        try:
            request = parse_meeting(incoming.argument.strip(), tz, now)
        except MeetingError as error:
            return Reply(lang, notice=t(error.key, lang, value=error.value))
        if len(request.topic) > MAX_QUESTION_CHARS:
            return Reply(
                lang,
                notice=t("too_long", lang, length=len(request.topic), limit=MAX_QUESTION_CHARS),
            )
        meeting = self.state.add_meeting(
            chat_id=incoming.chat_id,
            thread_id=incoming.thread_id,
            user_id=incoming.user_id,
            topic=request.topic,
            meeting_at=request.meeting_at.timestamp(),
            post_at=request.post_at.timestamp(),
            tz=tz,
            lang=lang,
        )
        self.scheduler.arm(meeting)
        meeting_time = local_hhmm(meeting.meeting_at, tz, self._clock())
        if meeting.post_at <= self._clock():
            return Reply(
                lang, notice=t("meeting_now", lang, time=meeting_time, tz=tz, topic=meeting.topic)
            )
        return Reply(
            lang,
            notice=t(
                "meeting_scheduled",
                lang,
                topic=meeting.topic,
                time=meeting_time,
                tz=tz,
                post_time=local_hhmm(meeting.post_at, tz, self._clock()),
            ),
        )

    async def _on_meetings(self, incoming: Incoming) -> Reply:
        lang = incoming.lang
        if self.scheduler is None:
            return Reply(lang, notice=t("console_only_telegram", lang))
        meetings = tuple(self.state.meetings(incoming.chat_id))
        if not meetings:
            return Reply(lang, notice=t("meetings_none", lang))
        return Reply(lang, notice=t("meetings_list", lang), meetings=meetings)

    def cancel_meeting(self, meeting_id: int, chat_id: int, lang: str) -> str:
        """Cancel a scheduled briefing of this chat; the text to confirm with."""
        meeting = self.state.get_meeting(meeting_id)
        if meeting is None or meeting.chat_id != chat_id:
            return t("meeting_not_found", lang)
        self.state.remove_meeting(meeting_id)
        if self.scheduler is not None:
            self.scheduler.disarm(meeting_id)
        return t("meeting_cancelled", lang, topic=meeting.topic)

    async def meeting_briefing(self, meeting: Meeting) -> Reply:
        """The briefing a scheduled meeting posts (the header goes in `notice`)."""
        incoming = Incoming(
            chat_id=meeting.chat_id,
            user_id=meeting.user_id,
            command="brief",
            argument=meeting.topic,
            thread_id=meeting.thread_id,
            is_group=meeting.chat_id < 0,
            language_code=meeting.lang,
        )
        header = t(
            "meeting_header",
            meeting.lang,
            time=local_hhmm(meeting.meeting_at, meeting.tz, self._clock()),
            tz=meeting.tz,
            topic=meeting.topic,
        )
        result = await self._call(
            incoming, lambda: self.assistant.brief(meeting.topic, incoming.lang)
        )
        if isinstance(result, Reply):
            return Reply(result.lang, notice=f"{header}\n\n{result.notice}")
        reply = self._answered(incoming, f"/brief {meeting.topic}", result)
        return Reply(
            reply.lang,
            notice=header,
            answer=reply.answer,
            answer_id=reply.answer_id,
            question=reply.question,
        )

    # Documents -------------------------------------------------------------------------------

    def is_admin(self, user_id: int) -> bool:
        """True when the user may add documents."""
        return user_id in self.admins

    async def add_document(
        self, user_id: int, lang: str, data: bytes, filename: str, vendor: str = ""
    ) -> Reply:
        """Ingest an admin's document (as `vendor`'s when the caption named one); the result
        (added/updated/unchanged or why not)."""
        if not self.is_admin(user_id) or self.uploader is None:
            return Reply(lang, notice=t("upload_admins_only", lang))
        uploader = self.uploader
        try:
            arguments = (data, filename, vendor) if vendor else (data, filename)
            result = await asyncio.to_thread(uploader, *arguments)
        except UploadRejected as error:
            return Reply(lang, notice=t("upload_failed", lang, filename=filename, error=error))
        except StoreUnavailable:
            return Reply(lang, notice=t("store_unavailable", lang))
        status = result.status if result.status in {"added", "updated", "unchanged"} else "added"
        return Reply(
            lang, notice=t(f"upload_{status}", lang, filename=filename, chunks=result.chunks)
        )
