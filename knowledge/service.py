"""The one interface front ends (the bot, the console, the CLI) use to get answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from knowledge.answer import Answer, Turn

MAX_QUESTION_CHARS = 1000


class Assistant(Protocol):
    """Cited answers, briefings and comparisons; blocking calls, run them off the event loop."""

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """A cited answer; `history` holds earlier turns so follow-ups resolve."""
        ...

    def brief(self, topic: str) -> Answer:
        """A pre-meeting briefing on a scenario, a vendor, or both."""
        ...

    def compare(self, vendors: Sequence[str]) -> Answer:
        """A per-criterion comparison of what each vendor's documents state."""
        ...

    def healthy(self) -> bool:
        """True when the store can be reached."""
        ...
