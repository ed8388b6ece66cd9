"""A per-user sliding-window limit on questions, so one user cannot monopolise the assistant."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `max_events` questions per user in any `per_seconds` window."""

    def __init__(
        self,
        max_events: int = 12,
        per_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_events = max_events
        self.per_seconds = per_seconds
        self._clock = clock
        self._events: dict[int, deque[float]] = {}

    def hit(self, user_id: int) -> int:
        """Count a question; 0 when allowed, else the whole seconds to wait (not counted)."""
        if self.max_events <= 0:
            return 0
        now = self._clock()
        events = self._events.setdefault(user_id, deque())
        while events and events[0] <= now - self.per_seconds:
            events.popleft()
        if len(events) >= self.max_events:
            return max(1, math.ceil(events[0] + self.per_seconds - now))
        events.append(now)
        return 0
