"""What the handlers share, kept in `application.bot_data` (no module globals)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from telegram.ext import CallbackContext

from bot.conversation import Conversation
from bot.outbox import DeliveryQueue
from bot.state import BotState
from bot.tg.delivery import DeliveryWorker
from bot.tg.health import TelegramHealth
from bot.tg.sending import Sender
from config import Settings
from knowledge.api import Assistant

SERVICES_KEY = "services"


class KeyedLocks:
    """One asyncio.Lock per chat, so a chat's updates are answered in the order they came,
    while other chats proceed concurrently. Locks are dropped when nobody holds or awaits them."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        """Hold the lock of `key` (FIFO among waiters)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


@dataclass
class Services:
    """The bot's collaborators: settings, the assistant, the conversation core, state, the
    sender with its durable queue, Telegram's health and the delivery worker."""

    settings: Settings
    assistant: Assistant
    conversation: Conversation
    state: BotState
    sender: Sender
    queue: DeliveryQueue
    health: TelegramHealth
    worker: DeliveryWorker
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    inline_latest: dict[int, str] = field(default_factory=dict)
    inline_debounce: float = 0.6

    def streams_answers(self) -> bool:
        """True when the assistant writes answers progressively (an LLM is configured)."""
        return self.assistant.streams

    def allowed(self, chat_id: int) -> bool:
        """True when BOT_ALLOWED_CHATS is empty or lists the chat."""
        allowed = self.settings.bot_allowed_chats
        return not allowed or chat_id in allowed


def services(context: CallbackContext) -> Services:  # type: ignore[type-arg]
    """The Services of the running application."""
    return context.application.bot_data[SERVICES_KEY]
