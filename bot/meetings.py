"""Parsing `/meeting HH:MM TOPIC` and `/timezone ZONE`: times in the user's own time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BRIEF_BEFORE = timedelta(minutes=10)

_TIME = re.compile(r"^(\d{1,2})[:：.](\d{2})$")


class MeetingError(Exception):
    """A meeting the bot cannot schedule; `key` names the text to show, `value` the input."""

    def __init__(self, key: str, value: str = "") -> None:
        super().__init__(f"{key}: {value}")
        self.key = key
        self.value = value


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    """When the meeting is (aware, UTC), when to post its briefing, and about what."""

    meeting_at: datetime
    post_at: datetime
    topic: str


def valid_timezone(name: str) -> str | None:
    """The IANA zone name if zoneinfo knows it, else None."""
    name = name.strip()
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        return None
    return name


def parse_meeting(argument: str, tz_name: str, now: datetime) -> MeetingRequest:
    """`15:30 ZEGOCLOUD voice room` → the next 15:30 in `tz_name` (tomorrow if already past)."""
    parts = argument.split(maxsplit=1)
    if len(parts) < 2 or not parts[1].strip():
        raise MeetingError("meeting_usage")
    clock, topic = parts[0], parts[1].strip()
    match = _TIME.match(clock)
    if not match:
        raise MeetingError("meeting_bad_time", clock)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise MeetingError("meeting_bad_time", clock)
    zone = ZoneInfo(tz_name)
    local_now = now.astimezone(zone)
    local = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if local <= local_now:
        local = local.replace(tzinfo=None) + timedelta(days=1)
        local = local.replace(tzinfo=zone)
    meeting_at = local.astimezone(UTC)
    return MeetingRequest(meeting_at=meeting_at, post_at=meeting_at - BRIEF_BEFORE, topic=topic)


def local_hhmm(epoch: float, tz_name: str, now: float | None = None) -> str:
    """An epoch time as HH:MM in the given zone (with the date when not today there)."""
    zone = ZoneInfo(tz_name)
    when = datetime.fromtimestamp(epoch, zone)
    today = (datetime.now(zone) if now is None else datetime.fromtimestamp(now, zone)).date()
    return when.strftime("%H:%M") if when.date() == today else when.strftime("%Y-%m-%d %H:%M")
