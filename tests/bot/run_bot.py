"""Runs `python -m bot` exactly as is, with `knowledge.factory` replaced by the fake assistant.

The subprocess tests start `python tests/bot/run_bot.py ARGS`: `runpy` executes the real
`bot/__main__.py`, whose lazy `from knowledge.factory import open_assistant` then finds this
stub. No test hook exists in production code. FAKE_ASSISTANT_DELAY sets the answer delay.
"""

from __future__ import annotations

import os
import runpy
import sys
import types

import knowledge
from tests.bot.fakes import FakeAssistant


def open_assistant(settings: object) -> FakeAssistant:
    """The fake assistant, slowed down by FAKE_ASSISTANT_DELAY seconds."""
    delay = float(os.environ.get("FAKE_ASSISTANT_DELAY", "0"))
    return FakeAssistant(delay=(delay, delay))


factory = types.ModuleType("knowledge.factory")
factory.open_assistant = open_assistant  # type: ignore[attr-defined]
sys.modules["knowledge.factory"] = factory
knowledge.factory = factory  # type: ignore[attr-defined]

if __name__ == "__main__":
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
