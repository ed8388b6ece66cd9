"""Outgoing requests that survive Telegram: flood limits, 429 retry_after, timeouts, 5xx."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import AIORateLimiter

from bot.tg.health import TelegramHealth

log = logging.getLogger(__name__)


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (flood limits, RetryAfter honoured) that also retries timeouts and
    network errors (5xx included) with bounded exponential backoff.

    BadRequest is a NetworkError subclass in PTB but is never transient, so it is not retried.
    A request that timed out may have reached Telegram, so a retry can duplicate a message;
    a duplicate beats the silence of a lost answer.

    Retries are logged at DEBUG only: `health` (when set) logs the outage once, and while it
    knows of an outage nothing is retried here (the durable queue waits instead).
    """

    def __init__(
        self,
        *,
        network_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retries: int = 3,
        overall_max_rate: float = 30,
        group_max_rate: float = 20,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate,
            group_max_rate=group_max_rate,
            max_retries=max_retries,
        )
        self.network_retries = network_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.health: TelegramHealth | None = None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send through the flood limiter; retry transient network failures a bounded number
        of times."""
        attempt = 0
        while True:
            try:
                result = await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as error:
                # During a known outage, fail fast: the delivery queue keeps the reply and the
                # worker's probe finds the end of the outage sooner without retries.
                outage = self.health is not None and self.health.down
                if attempt >= self.network_retries or outage:
                    self._failed(error)
                    raise
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                attempt += 1
                log.debug(
                    "Telegram %s failed (%s: %s); retry %d of %d in %.1f s",
                    endpoint,
                    type(error).__name__,
                    error,
                    attempt,
                    self.network_retries,
                    delay,
                )
                await asyncio.sleep(delay)
            else:
                if self.health is not None:
                    self.health.succeeded()
                return result

    def _failed(self, error: TelegramError) -> None:
        if self.health is not None:
            self.health.failed(error)
