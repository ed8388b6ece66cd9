"""Telegram handlers: turn updates into `Incoming` requests, and replies into messages.

Routing (bot.routing) decides what to answer, the conversation core what to say, rendering
(bot.render) how it looks; these functions only move things between them and Telegram.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.commands import QUESTION_COMMANDS
from bot.conversation import Incoming, Reply
from bot.render import notice_html, split_html
from bot.routing import addresses_bot, is_group, replies_to_bot, route
from bot.texts import reply_lang, t
from bot.tg.health import is_transient
from bot.tg.keyboards import answer_keyboard, meetings_keyboard, parse_callback
from bot.tg.sending import StreamedReply, Target, reply_html
from bot.tg.services import services
from bot.uploads import MAX_DOWNLOAD_BYTES, caption_vendor

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


def target_of(message: Message) -> Target:
    """Reply in the message's forum topic; quote the asking message in groups."""
    thread = message.message_thread_id if message.is_topic_message else None
    return Target(message.chat.id, thread, message.message_id if is_group(message) else None)


async def on_message(update: Update, context: Context) -> None:
    """A text message: answer it if it is addressed to the bot, in the chat's order."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        services(context).state.migrate_chat(message.chat.id, message.migrate_to_chat_id)
        return
    routed = route(message, context.bot.username, context.bot.id)
    if routed is None:
        return
    svc = services(context)
    # Noted durably before any await: a crash from here on is answered after the restart.
    if not svc.queue.received(update.update_id, update.to_json()):
        return  # already taken in this run (handed out again after a restart)
    user = message.from_user
    assert user is not None  # route() ignores messages without a sender
    replied = None
    if message.reply_to_message is not None and replies_to_bot(message, context.bot.id):
        replied = svc.state.answer_for_message(message.chat.id, message.reply_to_message.message_id)
    incoming = Incoming(
        chat_id=message.chat.id,
        user_id=user.id,
        command=routed.command,
        argument=routed.argument,
        thread_id=(message.message_thread_id or 0) if message.is_topic_message else 0,
        is_group=is_group(message),
        language_code=user.language_code,
        replied_answer_id=replied.id if replied is not None else None,
    )
    log.debug("%s in a %s chat: %s", incoming.command, message.chat.type, incoming.argument)
    target = target_of(message)
    try:
        # No await before taking the lock: updates reach this point in arrival order.
        async with svc.locks.hold(message.chat.id):
            if not svc.allowed(message.chat.id):
                await svc.sender.send_html(
                    target,
                    notice_html(t("not_allowed", incoming.lang)),
                    update_id=update.update_id,
                )
                return
            if incoming.command in QUESTION_COMMANDS:
                stream = StreamedReply(context.bot, target) if svc.streams_answers() else None
                async with svc.sender.typing(target):
                    reply = await svc.conversation.handle(incoming, stream)
            else:
                reply = await svc.conversation.handle(incoming)
            if not reply.delivered:
                await svc.sender.send_reply(target, reply, update_id=update.update_id)
    finally:
        svc.queue.answered(update.update_id)


async def on_media(update: Update, context: Context) -> None:
    """A photo, voice message, sticker, …: a caption is a question; without one, say what the
    bot can read (in groups only when the message is addressed to the bot)."""
    message = update.effective_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return
    if (message.caption or "").strip():
        await on_message(update, context)
        return
    if is_group(message) and not replies_to_bot(message, context.bot.id):
        return
    svc = services(context)
    lang = reply_lang("", message.from_user.language_code)
    async with svc.locks.hold(message.chat.id):
        if svc.allowed(message.chat.id):
            await svc.sender.send_html(target_of(message), notice_html(t("media_unreadable", lang)))


async def on_document(update: Update, context: Context) -> None:
    """An admin's document goes into the knowledge base, with progress and a clear result."""
    message = update.effective_message
    if message is None or message.document is None or message.from_user is None:
        return
    if not addresses_bot(message, context.bot.username, context.bot.id):
        return
    svc = services(context)
    lang = reply_lang(message.caption or "", message.from_user.language_code)
    document = message.document
    filename = document.file_name or f"{document.file_unique_id}.bin"
    target = target_of(message)
    async with svc.locks.hold(message.chat.id):
        if not svc.allowed(message.chat.id):
            await svc.sender.send_html(target, notice_html(t("not_allowed", lang)))
            return
        if not svc.conversation.is_admin(message.from_user.id):
            await svc.sender.send_html(target, notice_html(t("upload_admins_only", lang)))
            return
        if document.file_size and document.file_size > MAX_DOWNLOAD_BYTES:
            await svc.sender.send_html(
                target, notice_html(t("upload_too_big", lang, filename=filename))
            )
            return
        progress = await svc.sender.send_html(
            target, notice_html(t("upload_progress", lang, filename=filename))
        )
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
        vendor = caption_vendor(message.caption or "")
        reply = await svc.conversation.add_document(
            message.from_user.id, lang, data, filename, vendor
        )
        if progress:
            await progress[0].edit_text(notice_html(reply.notice), parse_mode=ParseMode.HTML)
        else:
            await svc.sender.send_reply(target, reply)


async def on_callback(update: Update, context: Context) -> None:
    """Buttons: quotes, 👍/👎, the full briefing's documents, cancelling a meeting."""
    query = update.callback_query
    if query is None:
        return
    svc = services(context)
    lang = reply_lang("", query.from_user.language_code)
    callback = parse_callback(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if callback is None or message is None:
        await query.answer()
        return
    if not svc.allowed(message.chat.id):
        await query.answer(t("not_allowed", lang))
        return
    target = Target(
        message.chat.id,
        message.message_thread_id if message.is_topic_message else None,
        message.message_id if is_group(message) else None,
    )
    conversation = svc.conversation
    if callback.action == "v":
        text = conversation.vote(
            callback.target_id, message.chat.id, query.from_user.id, callback.value, lang
        )
        await query.answer(text)
        stored = svc.state.get_answer(callback.target_id)
        if stored is not None:
            # The count on the buttons is the visible sign that the vote was taken.
            votes = svc.state.vote_counts(stored.id)
            try:
                await query.edit_message_reply_markup(
                    answer_keyboard(stored.answer, stored.id, lang, votes=votes)
                )
            except BadRequest as error:  # "message is not modified": the same vote again
                log.debug("vote count not shown: %s", error)
    elif callback.action == "q":
        await query.answer()
        reply = conversation.stored_reply(callback.target_id, lang, show_quotes=True)
        async with svc.locks.hold(message.chat.id):
            await svc.sender.send_reply(target, reply)
    elif callback.action == "f":
        stored = svc.state.get_answer(callback.target_id)
        if stored is None or not stored.answer.attachments:
            await query.answer(t("answer_gone" if stored is None else "no_attachments", lang))
            return
        await query.answer()
        async with svc.locks.hold(message.chat.id):
            await svc.sender.send_documents(target, stored.answer.attachments)
    elif callback.action == "mc":
        await query.answer(conversation.cancel_meeting(callback.target_id, message.chat.id, lang))
        remaining = svc.state.meetings(message.chat.id)
        if remaining:
            await query.edit_message_reply_markup(meetings_keyboard(remaining))
        else:
            await query.edit_message_text(
                notice_html(t("meetings_none", lang)), parse_mode=ParseMode.HTML
            )


async def on_inline_query(update: Update, context: Context) -> None:
    """`@bot question` in any chat: the answer offered as one inline result."""
    query = update.inline_query
    if query is None:
        return
    svc = services(context)
    text = query.query.strip()
    user = query.from_user
    if len(text) < 3 or not svc.allowed(user.id):
        await query.answer([], cache_time=5, is_personal=True)
        return
    # Clients send a query per keystroke; answer only the one the user stopped typing at.
    svc.inline_latest[user.id] = query.id
    await asyncio.sleep(svc.inline_debounce)
    if svc.inline_latest.get(user.id) != query.id:
        return
    del svc.inline_latest[user.id]
    incoming = Incoming(
        chat_id=user.id,
        user_id=user.id,
        command="ask",
        argument=text,
        language_code=user.language_code,
        remember=False,
    )
    reply = await svc.conversation.handle(incoming)
    await query.answer([_inline_result(text, reply)], cache_time=30, is_personal=True)


def _inline_result(question: str, reply: Reply) -> InlineQueryResultArticle:
    html = split_html(reply_html(reply))[0]
    summary = reply.answer.text if reply.answer is not None else reply.notice
    return InlineQueryResultArticle(
        id=hashlib.sha1(question.encode("utf-8")).hexdigest()[:32],
        title=question[:64],
        description=" ".join(summary.split())[:120],
        input_message_content=InputTextMessageContent(
            html,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
    )


async def on_error(update: object, context: Context) -> None:
    """Log the failure (the log filter redacts secrets) and tell the user instead of silence."""
    error = context.error
    if isinstance(error, Forbidden):
        log.info("dropped: the bot cannot write to this chat (%s)", error)
        return
    if isinstance(error, ChatMigrated) and isinstance(update, Update) and update.effective_chat:
        services(context).state.migrate_chat(update.effective_chat.id, error.new_chat_id)
        log.info("chat %s migrated to %s", update.effective_chat.id, error.new_chat_id)
        return
    if error is not None and is_transient(error):
        # Telegram or the network: the health monitor logs the outage once, and the queue
        # keeps the reply; a traceback would only repeat that.
        log.debug("network error while handling an update: %s", error)
        return
    log.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = reply_lang("", user.language_code if user else None)
    message = update.effective_message
    target = target_of(message) if message is not None else Target(update.effective_chat.id)
    try:
        await services(context).sender.send_html(target, notice_html(t("error", lang)))
    except TelegramError as send_error:
        log.warning("could not tell chat %s about the error: %s", target.chat_id, send_error)


async def on_any_update(update: Update, context: Context) -> None:
    """An update arrived, so Telegram answers again (polling never passes the rate limiter)."""
    services(context).health.succeeded()


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Wire the handlers: text, documents, other media, buttons, inline queries, errors."""
    application.add_handler(TypeHandler(Update, on_any_update), group=-1)
    application.add_handler(
        MessageHandler(
            (filters.TEXT | filters.StatusUpdate.MIGRATE) & ~filters.UpdateType.EDITED,
            on_message,
        )
    )
    application.add_handler(MessageHandler(filters.Document.ALL, on_document))
    media = (
        filters.PHOTO
        | filters.VOICE
        | filters.AUDIO
        | filters.VIDEO
        | filters.VIDEO_NOTE
        | filters.Sticker.ALL
    )
    application.add_handler(MessageHandler(media & ~filters.UpdateType.EDITED, on_media))
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_handler(InlineQueryHandler(on_inline_query))
    application.add_error_handler(on_error)
