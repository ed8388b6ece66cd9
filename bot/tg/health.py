"""Whether Telegram answers: one WARNING when it stops, one INFO (with the outage's length)
when it is back, and an event the delivery worker waits on in between."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

log = logging.getLogger(__name__)


def is_transient(error: BaseException) -> bool:
    """Telegram or the network failing (5xx, timeouts, no connection, flood waits), as opposed
    to Telegram refusing this request (bad request, blocked chat)."""
    return isinstance(error, RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    )


class TelegramHealth:
    """Tracks outages; `failed`/`succeeded` may be called from any request, as often as they
    happen, and log only the transitions."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.down_since: float | None = None
        self._back = asyncio.Event()
        self._back.set()

    @property
    def down(self) -> bool:
        """True while Telegram is unreachable."""
        return self.down_since is not None

    def failed(self, error: TelegramError) -> None:
        """A request failed; the first failure of an outage is logged (without a traceback)."""
        if not is_transient(error):
            return
        if self.down_since is None:
            self.down_since = self._clock()
            self._back.clear()
            log.warning(
                "Telegram is unreachable (%s: %s); replies wait in the queue",
                type(error).__name__,
                error,
            )

    def succeeded(self) -> None:
        """A request went through; ends an outage."""
        if self.down_since is not None:
            length = self._clock() - self.down_since
            self.down_since = None
            self._back.set()
            log.info("Telegram is reachable again after %.0f s", length)

    async def wait_until_back(self, timeout: float) -> bool:
        """Wait (at most `timeout` s) for the end of an outage; True when Telegram is up."""
        if not self.down:
            return True
        try:
            await asyncio.wait_for(self._back.wait(), timeout)
        except TimeoutError:
            return False
        return True
