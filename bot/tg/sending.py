"""Delivering replies: HTML parts under 4,096 characters, buttons on the last part, replies
quoted in groups, forum topics kept, blocked chats dropped and migrated groups followed.

Every reply is queued durably first (bot.outbox) and then sent at once; when Telegram is down,
or an older reply to the same chat still waits, the delivery worker (bot.tg.delivery) sends
it later, in order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.conversation import Reply
from bot.outbox import DeliveryQueue, Outgoing
from bot.render import answer_html, as_plain_text, notice_html, quotes_html, split_html
from bot.state import BotState
from bot.streaming import TelegramSink, stream_answer
from bot.texts import t
from bot.tg.health import TelegramHealth, is_transient
from bot.tg.keyboards import answer_keyboard, meetings_keyboard
from knowledge.api import Answer, Attachment

log = logging.getLogger(__name__)

TYPING_EVERY_SECONDS = 4.0  # Telegram shows "typing…" for about 5 s per chat action
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a reply goes: a chat, its forum topic, and the message to quote (in groups)."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None


def reply_html(reply: Reply) -> str:
    """The whole reply as one HTML text (split later)."""
    parts = [notice_html(reply.notice)] if reply.notice else []
    if reply.answer is not None:
        render = quotes_html if reply.show_quotes else answer_html
        parts.append(render(reply.answer, reply.lang))
    return "\n\n".join(parts)


def reply_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The buttons that go under a reply's last message."""
    if reply.meetings:
        return meetings_keyboard(reply.meetings)
    if reply.answer is not None and reply.answer_id is not None and not reply.show_quotes:
        return answer_keyboard(reply.answer, reply.answer_id, reply.lang)
    return None


class Sender:
    """Sends to a chat, following a group's migration to a supergroup and dropping chats that
    blocked or removed the bot (nothing can be delivered there)."""

    def __init__(
        self,
        bot: Bot,
        state: BotState,
        queue: DeliveryQueue,
        health: TelegramHealth | None = None,
    ) -> None:
        self.bot = bot
        self.state = state
        self.queue = queue
        self.health = health or TelegramHealth()
        self.wakeup = asyncio.Event()  # set when a reply was left for the delivery worker
        # Replies being sent right now (by a handler or the worker): never by both at once.
        self._claimed: set[int] = set()

    async def send_reply(
        self, target: Target, reply: Reply, *, update_id: int | None = None
    ) -> list[Message]:
        """Send a reply, split at paragraph boundaries, buttons on the last part."""
        # An empty reply (an answer without text) would be refused by Telegram: never silence.
        html = reply_html(reply) or notice_html(t("error", reply.lang))
        return await self.send_html(
            target, html, reply_keyboard(reply), answer_id=reply.answer_id, update_id=update_id
        )

    async def send_html(
        self,
        target: Target,
        html: str,
        keyboard: InlineKeyboardMarkup | None = None,
        *,
        answer_id: int | None = None,
        update_id: int | None = None,
    ) -> list[Message]:
        """Queue HTML as one or more messages and send them now if Telegram answers; only the
        first part quotes the asking message. Returns what was sent now (nothing when the
        reply waits for the delivery worker). `update_id` leaves the inbox with the queuing."""
        item = self.queue.enqueue(
            chat_id=target.chat_id,
            thread_id=target.thread_id,
            reply_to=target.reply_to,
            parts=split_html(html),
            keyboard_json=keyboard.to_json() if keyboard is not None else None,
            answer_id=answer_id,
            update_id=update_id,
        )
        self._claimed.add(item.id)
        try:
            if self.health.down or self.queue.waiting_before(item):
                self.wakeup.set()
                return []
            return await self.deliver(item)
        finally:
            self._claimed.discard(item.id)
            # A later reply to this chat may have been left to the worker while this one was
            # being sent: let it look now rather than at its next idle round.
            self.wakeup.set()

    def claim(self, item_id: int) -> bool:
        """Take a queued reply for sending; False when someone is sending it already."""
        if item_id in self._claimed:
            return False
        self._claimed.add(item_id)
        return True

    def release(self, item_id: int) -> None:
        """Give a claimed reply back."""
        self._claimed.discard(item_id)

    async def deliver(self, item: Outgoing) -> list[Message]:
        """Send the parts of a queued reply not yet accepted, marking each as it goes. A
        transient failure (after the rate limiter's retries) leaves the rest queued; any other
        refusal drops the reply and propagates."""
        target = Target(item.chat_id, item.thread_id, item.reply_to)
        markup = (
            InlineKeyboardMarkup.de_json(json.loads(item.keyboard_json), self.bot)
            if item.keyboard_json
            else None
        )
        sent: list[Message] = []
        for index in range(item.sent_parts, len(item.parts)):
            last = index == len(item.parts) - 1
            try:
                message, target = await self._send_one(
                    target, item.parts[index], markup if last else None, quote=index == 0
                )
            except TelegramError as error:
                if is_transient(error):
                    self.health.failed(error)
                    self.wakeup.set()
                    return sent
                self.queue.remove(item.id)
                raise
            if message is None:
                self.queue.remove(item.id)
                return sent
            self.queue.part_sent(item, index + 1)
            if item.answer_id is not None:
                self.state.remember_message(target.chat_id, message.message_id, item.answer_id)
            sent.append(message)
        return sent

    async def _send_one(
        self, target: Target, html: str, markup: InlineKeyboardMarkup | None, *, quote: bool
    ) -> tuple[Message | None, Target]:
        reply_parameters = (
            ReplyParameters(target.reply_to, allow_sending_without_reply=True)
            if quote and target.reply_to is not None
            else None
        )
        try:
            message = await self.bot.send_message(
                target.chat_id,
                html,
                parse_mode=ParseMode.HTML,
                message_thread_id=target.thread_id,
                reply_parameters=reply_parameters,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )
            return message, target
        except BadRequest as error:
            if "parse entities" not in str(error).lower():
                raise
            # Our HTML should always parse; if Telegram disagrees, plain text beats silence.
            log.error("Telegram rejected the HTML of a reply (%s); sending it as plain text", error)
            message = await self.bot.send_message(
                target.chat_id,
                as_plain_text(html),
                message_thread_id=target.thread_id,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )
            return message, target
        except ChatMigrated as migrated:
            new_target = self.migrate(target, migrated.new_chat_id)
            message = await self.bot.send_message(
                new_target.chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )
            return message, new_target
        except Forbidden as error:
            log.info("chat %s cannot be written to (%s); reply dropped", target.chat_id, error)
            return None, target

    def migrate(self, target: Target, new_chat_id: int) -> Target:
        """Move the stored state of a migrated group and address its new id from now on."""
        log.info("chat %s migrated to %s", target.chat_id, new_chat_id)
        self.state.migrate_chat(target.chat_id, new_chat_id)
        # The old message and topic ids do not exist in the new supergroup.
        return replace(target, chat_id=new_chat_id, thread_id=None, reply_to=None)

    async def send_documents(self, target: Target, attachments: tuple[Attachment, ...]) -> None:
        """Send an answer's documents (the full briefing, the comparison table)."""
        for attachment in attachments:
            try:
                await self.bot.send_document(
                    target.chat_id,
                    attachment.content.encode("utf-8"),
                    filename=attachment.filename,
                    message_thread_id=target.thread_id,
                )
            except ChatMigrated as migrated:
                target = self.migrate(target, migrated.new_chat_id)
                await self.bot.send_document(
                    target.chat_id,
                    attachment.content.encode("utf-8"),
                    filename=attachment.filename,
                )
            except Forbidden as error:
                log.info(
                    "chat %s cannot be written to (%s); document dropped", target.chat_id, error
                )
                return

    @contextlib.asynccontextmanager
    async def typing(self, target: Target) -> AsyncIterator[None]:
        """Show "typing…" in the chat until the block ends."""
        task = asyncio.create_task(self._keep_typing(target))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep_typing(self, target: Target) -> None:
        while True:
            try:
                await self.bot.send_chat_action(
                    target.chat_id, ChatAction.TYPING, message_thread_id=target.thread_id
                )
            except TelegramError as error:
                # A missing typing indicator is cosmetic; the answer itself reports failures.
                log.debug("typing indicator failed in chat %s: %s", target.chat_id, error)
                return
            await asyncio.sleep(TYPING_EVERY_SECONDS)


class StreamedReply:
    """Shows an LLM answer as it is written: one message edited about once a second, ending as
    the rendered reply with its buttons (see bot.streaming)."""

    def __init__(self, bot: Bot, target: Target) -> None:
        self.bot = bot
        self.target = target

    async def deliver(
        self, events: Callable[[], Iterable[Any]], finish: Callable[[Answer], Reply]
    ) -> Answer:
        """Stream `events` into one message; `finish` turns the final answer into the reply."""
        sink = TelegramSink(
            self.bot,
            chat_id=self.target.chat_id,
            thread_id=self.target.thread_id,
            reply_to=self.target.reply_to,
        )

        def render(answer: Answer) -> list[str]:
            reply = finish(answer)
            sink.final_markup = reply_keyboard(reply)
            return split_html(reply_html(reply) or notice_html(t("error", reply.lang)))

        return await stream_answer(events, sink, render)
