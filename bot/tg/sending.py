"""Delivering replies: HTML parts under 4,096 characters, buttons on the last part, replies
quoted in groups, forum topics kept, blocked chats dropped and migrated groups followed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.conversation import Reply
from bot.render import answer_html, as_plain_text, notice_html, quotes_html, split_html
from bot.state import BotState
from bot.streaming import TelegramSink, stream_answer
from bot.texts import t
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

    def __init__(self, bot: Bot, state: BotState) -> None:
        self.bot = bot
        self.state = state

    async def send_reply(self, target: Target, reply: Reply) -> list[Message]:
        """Send a reply, split at paragraph boundaries, buttons on the last part."""
        # An empty reply (an answer without text) would be refused by Telegram: never silence.
        html = reply_html(reply) or notice_html(t("error", reply.lang))
        return await self.send_html(target, html, reply_keyboard(reply))

    async def send_html(
        self, target: Target, html: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> list[Message]:
        """Send HTML as one or more messages; only the first quotes the asking message."""
        parts = split_html(html)
        sent: list[Message] = []
        for index, part in enumerate(parts):
            markup = keyboard if index == len(parts) - 1 else None
            message, target = await self._send_one(target, part, markup, quote=index == 0)
            if message is None:
                break
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
