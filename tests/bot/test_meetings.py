"""Meeting times: the user's zone, tomorrow when already past, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.meetings import MeetingError, parse_meeting, valid_timezone


def test_time_in_the_users_zone_and_ten_minutes_before() -> None:
    now = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
    request = parse_meeting("15:30 ZEGOCLOUD voice room", "Asia/Shanghai", now)
    assert request.topic == "ZEGOCLOUD voice room"
    assert request.meeting_at == datetime(2025, 3, 1, 7, 30, tzinfo=UTC)
    assert request.post_at == datetime(2025, 3, 1, 7, 20, tzinfo=UTC)


def test_a_time_already_past_today_means_tomorrow() -> None:
    now = datetime(2025, 3, 1, 16, 0, tzinfo=UTC)
    request = parse_meeting("9:05 Nimbus", "UTC", now)
    assert request.meeting_at == datetime(2025, 3, 2, 9, 5, tzinfo=UTC)


def test_tomorrow_across_a_daylight_saving_change_keeps_the_wall_clock() -> None:
    now = datetime(2025, 3, 8, 20, 0, tzinfo=UTC)  # 15:00 in New York, DST starts tomorrow
    request = parse_meeting("10:00 Nimbus", "America/New_York", now)
    assert request.meeting_at == datetime(2025, 3, 9, 14, 0, tzinfo=UTC)  # 10:00 EDT


@pytest.mark.parametrize(
    ("argument", "key"),
    [
        ("24:00 x", "meeting_bad_time"),
        ("12:60 x", "meeting_bad_time"),
        ("noon x", "meeting_bad_time"),
        ("15:30", "meeting_usage"),
        ("", "meeting_usage"),
    ],
)
def test_invalid_meetings(argument: str, key: str) -> None:
    with pytest.raises(MeetingError) as error:
        parse_meeting(argument, "UTC", datetime(2025, 1, 1, tzinfo=UTC))
    assert error.value.key == key


def test_time_zones() -> None:
    assert valid_timezone("Asia/Shanghai") == "Asia/Shanghai"
    assert valid_timezone("Mars/Olympus") is None
    assert valid_timezone("../../etc/passwd") is None
    assert valid_timezone("") is None
