"""Fixtures for the bot tests: a fake assistant with hostile text, the fake Bot API, the bot.

Test modules import helpers from tests.bot.support, tests.bot.fakes and tests.bot.fake_telegram.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# Loopback must never go through a proxy; PTB_TIMEDELTA silences retry_after's deprecation.
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
os.environ.setdefault("PTB_TIMEDELTA", "1")

from tests.bot.fake_telegram import FakeTelegram
from tests.bot.fakes import FakeAssistant
from tests.bot.support import Harness


@pytest.fixture
def assistant() -> FakeAssistant:
    """A fresh fake assistant."""
    return FakeAssistant()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server on 127.0.0.1."""
    server = await FakeTelegram().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def harness(tmp_path: Path, assistant: FakeAssistant) -> AsyncIterator[Harness]:
    """A bot on a RecordingRequest with default settings."""
    async with Harness(tmp_path, assistant) as h:
        yield h
