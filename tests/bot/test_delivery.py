"""No lost answer: replies that meet an outage wait in the durable queue and arrive after it,
once each; the outage is logged once, without tracebacks."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bot.outbox import DeliveryQueue
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.fakes import FakeAssistant
from tests.bot.support import make_settings, running_bot

pytestmark = pytest.mark.e2e


async def test_an_answer_that_meets_a_12_second_outage_arrives_after_it(
    fake: FakeTelegram, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    assistant = FakeAssistant(delay=(0.5, 0.5))
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant, probe_seconds=0.5):
        fake.outage(12, starting_with="sendMessage")
        fake.message(42, "asked just before the outage")
        await fake.wait_for(lambda: fake.in_outage)
        started = time.monotonic()
        await fake.wait_for(lambda: len(fake.texts(42)) == 1, timeout=40)
        assert time.monotonic() - started >= 11.5
        fake.message(43, "asked after the outage")
        await fake.wait_for(lambda: len(fake.texts(43)) == 1, timeout=30)
    assert fake.texts(42)[0].startswith("• Answer to: asked just before the outage")
    assert len(fake.texts(42)) == 1
    assert any(c.outcome == "bad_gateway" for c in fake.calls if c.method == "sendMessage")
    # The bot's and PTB's records (httpx's request lines are silenced by setup_logging).
    records = [
        r
        for r in caplog.records
        if r.levelno >= logging.INFO and r.name.startswith(("bot", "telegram"))
    ]
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unreachable" in warnings[0]
    back = [r.getMessage() for r in records if "reachable again" in r.getMessage()]
    assert len(back) == 1 and back[0].startswith("Telegram is reachable again after 1")
    assert not [r for r in records if r.levelno >= logging.ERROR]
    # The question itself appears at DEBUG only.
    assert not [r for r in records if "asked just before" in r.getMessage()]


async def test_a_reply_too_old_is_dropped_with_one_line(
    fake: FakeTelegram, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.INFO)
    settings = make_settings(tmp_path, fake.base_url)
    queue = DeliveryQueue.in_data_dir(settings.data_dir, clock=lambda: time.time() - 3600)
    queue.enqueue(chat_id=42, thread_id=None, reply_to=None, parts=["an hour old"])
    queue.close()
    async with running_bot(settings, FakeAssistant()):
        fake.message(42, "fresh")
        await fake.wait_for(lambda: len(fake.texts(42)) == 1)
    assert fake.texts(42)[0].startswith("• Answer to: fresh")
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1 and "older than 15 min" in dropped[0]


async def test_replies_to_one_chat_keep_their_order_across_an_outage(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    assistant = FakeAssistant(delay=(0.2, 0.2))
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant, probe_seconds=0.2):
        for n in range(5):
            fake.message(42, f"question {n}")
        await fake.wait_for(lambda: bool(fake.sent("sendChatAction", 42)))
        fake.outage(2)
        await fake.wait_for(lambda: len(fake.texts(42)) == 5, timeout=30)
    assert [text.split(" [1]")[0] for text in fake.texts(42)] == [
        f"• Answer to: question {n}" for n in range(5)
    ]
