"""The language of a reply, and the bot's own lines from the one message catalog."""

from __future__ import annotations

from knowledge.messages import message
from store.language import Lang, detect_lang


def reply_lang(text: str, language_code: str | None = None) -> Lang:
    """The language to reply in: the request's own text decides (store.language); a request
    without letters (a bare command, a button) gets the user's Telegram language."""
    client: Lang = "zh" if (language_code or "").lower().startswith("zh") else "en"
    return detect_lang(text, default=client)


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` from the one message catalog (knowledge/messages.yaml)."""
    return message(key, lang, **values)
