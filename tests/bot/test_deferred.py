"""A knowledge base that is down at start-up: the bot starts, says so, and recovers."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import Conversation, Incoming
from bot.deferred import DeferredAssistant
from bot.state import BotState
from knowledge.api import StoreUnavailable
from tests.bot.fakes import FakeAssistant


async def test_store_down_at_start_up_then_back(tmp_path: Path) -> None:
    attempts: list[int] = []

    def opener() -> FakeAssistant:
        attempts.append(1)
        if len(attempts) < 3:
            raise StoreUnavailable(detail="connection refused")
        return FakeAssistant()

    assistant = DeferredAssistant(opener)  # first attempt fails: no exception here
    conversation = Conversation(assistant, BotState(tmp_path / "s.sqlite3"))
    reply = await conversation.handle(Incoming(1, 1, "ask", "anyone there?"))
    assert reply.notice == "The knowledge base is unavailable right now, try again in a minute."
    assert assistant.healthy()  # third attempt succeeds
    reply = await conversation.handle(Incoming(1, 1, "ask", "and now?"))
    assert reply.answer is not None and len(attempts) == 3
