"""What the bot answers: which messages are addressed to it, and as which command.

Private chats: every text (or caption) is a question. Groups: `/cmd`, `/cmd@thisbot`, an
@mention of the bot, or a reply to one of its messages; everything else (and anything from a
bot) is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Message, MessageEntity
from telegram.constants import ChatType

from bot.commands import NAMES

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?:\s+|$)(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Routed:
    """A message the bot must answer: the command and its argument."""

    command: str
    argument: str


def parse_command(text: str) -> tuple[str, str | None, str] | None:
    """`/ask@bot text` → ("ask", "bot", "text"); None when the text is not a command."""
    match = _COMMAND.match(text.strip())
    if not match:
        return None
    return match.group(1).lower(), match.group(2), match.group(3).strip()


def is_group(message: Message) -> bool:
    """True for groups and supergroups (where the bot answers only when addressed)."""
    return message.chat.type in {ChatType.GROUP, ChatType.SUPERGROUP}


def _mentions_bot(message: Message, username: str, bot_id: int) -> str | None:
    """The text without the bot's @mention, or None when the bot is not mentioned."""
    kinds = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    if message.text is not None:
        text, entities = message.text, message.parse_entities(kinds)
    else:
        text, entities = message.caption or "", message.parse_caption_entities(kinds)
    for entity, value in entities.items():
        mentioned = (
            entity.type == MessageEntity.MENTION and value[1:].lower() == username.lower()
        ) or (
            entity.type == MessageEntity.TEXT_MENTION
            and entity.user is not None
            and entity.user.id == bot_id
        )
        if mentioned:
            # "@bot, what about SLA?" → "what about SLA?"
            return " ".join(text.replace(value, " ", 1).split()).strip(" ,，:：")
    return None


def replies_to_bot(message: Message, bot_id: int) -> bool:
    """True when the message replies to one of the bot's messages (not a forum topic's start)."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
        return False
    # In forum topics every message "replies" to the topic's first message; that is not a reply.
    return replied.forum_topic_created is None


def route(message: Message | None, username: str, bot_id: int) -> Routed | None:
    """The command a text message (or a caption) asks of this bot, or None when the bot must
    stay silent."""
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    if message.chat.type == ChatType.CHANNEL or message.via_bot is not None:
        return None
    text = (message.text or message.caption or "").strip()
    if not text:
        return None
    command = parse_command(text)
    if command is not None:
        name, target, argument = command
        if target is not None and target.lower() != username.lower():
            return None  # /cmd@otherbot
        if is_group(message) and target is None and name not in NAMES:
            return None  # someone else's command in a shared group
        return Routed(name, argument)
    if not is_group(message):
        return Routed("ask", text)
    stripped = _mentions_bot(message, username, bot_id)
    if stripped is not None:
        return Routed("ask", stripped)
    if replies_to_bot(message, bot_id):
        return Routed("ask", text)
    return None


def addresses_bot(message: Message, username: str, bot_id: int) -> bool:
    """True for a private message, or a group message whose caption mentions or replies to us
    (used for documents, which carry no command)."""
    if message.from_user is None or message.from_user.is_bot:
        return False
    if not is_group(message):
        return message.chat.type == ChatType.PRIVATE
    caption = message.caption or ""
    return f"@{username}".lower() in caption.lower() or replies_to_bot(message, bot_id)
