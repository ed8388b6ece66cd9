"""The console transport: lines become the same commands Telegram sends to the core."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.commands import split_vendors
from bot.console import line_to_incoming, run_console
from bot.conversation import Conversation
from bot.state import BotState
from tests.bot.fakes import FakeAssistant


def test_lines_become_commands() -> None:
    assert line_to_incoming("   ") is None
    question = line_to_incoming("What latency?\n")
    assert question is not None and (question.command, question.argument) == (
        "ask",
        "What latency?",
    )
    brief = line_to_incoming("/brief@selection_bot Nimbus voice room")
    assert brief is not None and (brief.command, brief.argument) == ("brief", "Nimbus voice room")


@pytest.mark.parametrize(
    ("argument", "vendors"),
    [
        ("Agora ZEGOCLOUD", ["Agora", "ZEGOCLOUD"]),
        ("Agora vs ZEGOCLOUD", ["Agora", "ZEGOCLOUD"]),
        ("Tencent RTC, Agora", ["Tencent RTC", "Agora"]),
        ("声网 和 即构", ["声网", "即构"]),
        ("声网、即构、腾讯云", ["声网", "即构", "腾讯云"]),
    ],
)
def test_vendor_lists(argument: str, vendors: list[str]) -> None:
    assert split_vendors(argument) == vendors


async def test_console_answers_each_line_until_end_of_input(tmp_path: Path) -> None:
    assistant = FakeAssistant()
    conversation = Conversation(assistant, BotState(tmp_path / "s.sqlite3"))
    out = io.StringIO()
    await run_console(
        conversation,
        io.StringIO("first <q>\nsecond\n/reset\n/meeting 10:00 x\n"),
        out,
        prompt=False,
    )
    text = out.getvalue()
    assert "Answer to: first <q> [1]" in text  # plain text: nothing escaped
    assert [t.question for t in assistant.calls[1][2]] == ["first <q>"]
    assert "forgotten our conversation" in text
    assert "Scheduling briefings works in Telegram only." in text


async def test_a_mixed_question_gets_its_whole_reply_in_its_main_language(tmp_path: Path) -> None:
    assistant = FakeAssistant()
    conversation = Conversation(assistant, BotState(tmp_path / "s.sqlite3"))
    out = io.StringIO()
    await run_console(
        conversation,
        io.StringIO("What latency should a 语聊房 target?\n语聊房的 latency 应该做到多少？\n"),
        out,
        prompt=False,
    )
    english, chinese = out.getvalue().split("Answer to: ")[1:]
    assert "Sources:" in english and "出处" not in english
    assert "出处:" in chinese and "Sources" not in chinese
