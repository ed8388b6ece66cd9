"""Resident memory of an answering process: `python -m bench.rss_probe STORE` prints JSON.

Run apart from the benchmark so that only what the bot holds is counted: the model, the store
client, the lexical index and the conversation code, after a few warm questions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psutil

QUESTIONS = (
    "what matters for a voice room?",
    "语聊房的回声消除怎么测试?",
    "How is bypass streaming billed?",
)


def main() -> int:
    """Open the assistant on the store given, ask a few questions, print the RSS in MB."""
    from config import load_settings
    from knowledge.factory import open_assistant

    process = psutil.Process()
    assistant = open_assistant(load_settings(), Path(sys.argv[1]))
    for question in QUESTIONS * 3:
        assistant.ask(question)
    print(json.dumps({"rss_mb": round(process.memory_info().rss / 2**20)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
