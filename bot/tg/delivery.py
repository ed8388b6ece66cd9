"""The delivery worker: sends the replies the outbox still holds (left by an outage, or by a
previous run) once Telegram answers, in order per chat, and drops those too old to matter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from telegram import Bot
from telegram.error import TelegramError

from bot.outbox import MAX_AGE_SECONDS, DeliveryQueue
from bot.tg.health import TelegramHealth
from bot.tg.sending import Sender

log = logging.getLogger(__name__)

PROBE_SECONDS = 1.0  # first wait before asking Telegram again during an outage
MAX_PROBE_SECONDS = 4.0
IDLE_SECONDS = 5.0  # a safety net: look at the outbox this often even without a wake-up


class DeliveryWorker:
    """Runs until cancelled; `Sender.wakeup` tells it a reply was left for it."""

    def __init__(
        self,
        bot: Bot,
        sender: Sender,
        queue: DeliveryQueue,
        health: TelegramHealth,
        *,
        max_age: float = MAX_AGE_SECONDS,
        probe_seconds: float = PROBE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self.sender = sender
        self.queue = queue
        self.health = health
        self.max_age = max_age
        self.probe_seconds = probe_seconds
        self._clock = clock

    async def run(self) -> None:
        """Deliver what waits; during an outage, ask Telegram (getMe) with growing pauses."""
        pause = self.probe_seconds
        while True:
            if self.health.down and not await self.health.wait_until_back(pause):
                await self._probe()
                pause = min(pause * 2, MAX_PROBE_SECONDS)
                continue
            pause = self.probe_seconds
            self.sender.wakeup.clear()
            await self.flush()
            if self.health.down:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sender.wakeup.wait(), IDLE_SECONDS)

    async def _probe(self) -> None:
        try:
            await self.bot.get_me()
        except TelegramError:
            return  # still down; the health monitor logged the outage once
        self.health.succeeded()

    async def flush(self) -> None:
        """One pass over the outbox, oldest first; a chat's later replies wait behind one that
        could not be sent."""
        now = self._clock()
        blocked: set[int] = set()
        dropped = 0
        for item in self.queue.pending():
            if now - item.at > self.max_age:
                self.queue.remove(item.id)
                dropped += 1
                continue
            if item.chat_id in blocked or not self.sender.claim(item.id):
                blocked.add(item.chat_id)
                continue
            try:
                current = self.queue.get(item.id)
                if current is not None:
                    await self.sender.deliver(current)
            except TelegramError as error:
                log.warning("a queued reply to chat %s was refused: %s", item.chat_id, error)
            finally:
                self.sender.release(item.id)
            if self.health.down:
                break
            if self.queue.get(item.id) is not None:
                blocked.add(item.chat_id)
        if dropped:
            log.warning(
                "dropped %d queued repl%s older than %.0f min (Telegram was unreachable)",
                dropped,
                "y" if dropped == 1 else "ies",
                self.max_age / 60,
            )
