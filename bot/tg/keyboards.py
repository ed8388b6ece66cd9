"""Inline buttons and their callback data (at most 64 bytes, so only ids go in it)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.meetings import local_hhmm
from bot.state import Meeting
from bot.texts import t
from knowledge.api import Answer


@dataclass(frozen=True, slots=True)
class Callback:
    """A parsed button press: `action` q (quotes), v (vote), f (files), mc (cancel meeting)."""

    action: str
    target_id: int
    value: int = 0


def answer_keyboard(
    answer: Answer, answer_id: int, lang: str, votes: tuple[int, int] = (0, 0)
) -> InlineKeyboardMarkup:
    """Quotes, 👍/👎 (with their counts once there are votes), and (for briefings and
    comparisons) the full document."""
    row = []
    if answer.citations:
        row.append(InlineKeyboardButton(t("button_quotes", lang), callback_data=f"q:{answer_id}"))
    up, down = votes
    row.append(InlineKeyboardButton(f"👍 {up}" if up else "👍", callback_data=f"v:{answer_id}:1"))
    row.append(
        InlineKeyboardButton(f"👎 {down}" if down else "👎", callback_data=f"v:{answer_id}:-1")
    )
    rows = [row]
    if answer.attachments:
        label = "button_full_comparison" if answer.kind == "comparison" else "button_full_briefing"
        rows.append([InlineKeyboardButton(t(label, lang), callback_data=f"f:{answer_id}")])
    return InlineKeyboardMarkup(rows)


def meetings_keyboard(meetings: tuple[Meeting, ...] | list[Meeting]) -> InlineKeyboardMarkup:
    """One cancel button per scheduled briefing."""
    rows = []
    for meeting in meetings:
        topic = meeting.topic if len(meeting.topic) <= 40 else meeting.topic[:39] + "…"
        label = f"✖ {local_hhmm(meeting.meeting_at, meeting.tz)} {topic}"
        rows.append([InlineKeyboardButton(label, callback_data=f"mc:{meeting.id}")])
    return InlineKeyboardMarkup(rows)


def parse_callback(data: str | None) -> Callback | None:
    """The action behind a button, or None for data this bot did not make."""
    if not data:
        return None
    parts = data.split(":")
    try:
        if parts[0] in {"q", "f", "mc"} and len(parts) == 2:
            return Callback(parts[0], int(parts[1]))
        if parts[0] == "v" and len(parts) == 3 and parts[2] in {"1", "-1"}:
            return Callback("v", int(parts[1]), int(parts[2]))
    except ValueError:
        return None
    return None
