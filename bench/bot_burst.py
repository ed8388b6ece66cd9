"""A burst through an outage: `python -m bench.bot_burst` prints JSON.

`python -m bot` runs as a subprocess (tests/bot/run_bot.py: the real bot, with the tests' fake
assistant, since delivery and not answering is measured) against the fake Bot API of the tests
on 127.0.0.1. 200 questions come from 20 chats (15 private, 5 groups) within a few seconds;
halfway through, the fake answers every call with 502 for 10 seconds. The figure that matters:
every question answered exactly once in the fake's record of accepted sendMessage calls.
Everything is bounded: the run fails after BURST_TIMEOUT seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "tests" / "bot" / "run_bot.py"
QUESTIONS = 200
PRIVATE_CHATS = 15
GROUP_CHATS = 5
OUTAGE_SECONDS = 10.0
SPREAD_SECONDS = 4.0  # the questions arrive over this long
START_TIMEOUT = 60.0
BURST_TIMEOUT = 240.0
_ASKED = re.compile(r"Answer to: (burst c-?\d+ q\d+)")


def _env(fake_url: str, token: str, data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WEBHOOK_", "BOT_", "LOG_", "LLM_", "DATA_DIR"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_BASE_URL=fake_url,
        DATA_DIR=str(data_dir),
        FAKE_ASSISTANT_DELAY="0.05",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PTB_TIMEDELTA="1",
    )
    return env


def _chats() -> list[int]:
    return [2001 + n for n in range(PRIVATE_CHATS)] + [
        -1002000000001 - n for n in range(GROUP_CHATS)
    ]


async def burst(scratch: Path) -> dict[str, object]:
    """Run the burst once; the figures as a dict."""
    from tests.bot.fake_telegram import TOKEN, FakeTelegram

    fake = await FakeTelegram().start()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(LAUNCHER),
        cwd=scratch,
        env=_env(fake.base_url, TOKEN, scratch / "data"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: bool(fake.sent("setMyCommands")), START_TIMEOUT)
        chats = _chats()
        asked: list[str] = []
        started = time.monotonic()
        outage_at = 0.0
        for n in range(QUESTIONS):
            chat = chats[n % len(chats)]
            question = f"burst c{chat} q{n}"
            if chat > 0:
                fake.message(chat, question)
            else:  # group members: one each, so the per-user question limit stays out of it
                fake.message(chat, f"/ask {question}", user_id=5000 + n)
            asked.append(question)
            if n == QUESTIONS // 2:
                fake.outage(OUTAGE_SECONDS)
                outage_at = time.monotonic()
            await asyncio.sleep(SPREAD_SECONDS / QUESTIONS)

        def answered() -> Counter[str]:
            return Counter(
                match.group(1)
                for text in fake.texts()
                if (match := _ASKED.search(text)) is not None
            )

        await fake.wait_for(lambda: set(answered()) >= set(asked), BURST_TIMEOUT)
        all_answered = time.monotonic() - started
        await asyncio.sleep(2.0)  # anything sent twice would arrive by now
        counts = answered()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), 60)
        except TimeoutError:
            process.kill()
            _, stderr = await process.communicate()
        await fake.stop()
    log = stderr.decode(errors="replace")
    return {
        "questions": len(asked),
        "chats": len(chats),
        "outage_s": OUTAGE_SECONDS,
        "answered_exactly_once": sum(1 for q in asked if counts[q] == 1),
        "unanswered": [q for q in asked if counts[q] == 0],
        "duplicated": [q for q in asked if counts[q] > 1],
        "all_answered_after_s": round(all_answered, 1),
        "after_outage_end_s": round(all_answered - (outage_at - started) - OUTAGE_SECONDS, 1),
        "rejected_calls_during_outage": sum(1 for c in fake.calls if c.outcome == "bad_gateway"),
        "log_warnings": sum(1 for line in log.splitlines() if " WARNING " in line),
        "log_tracebacks": log.count("Traceback"),
    }


def bot_burst() -> dict[str, object]:
    """The burst in a scratch directory; raises when a question is not answered exactly once."""
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as folder:
        result = asyncio.run(burst(Path(folder)))
    if result["answered_exactly_once"] != result["questions"]:
        raise RuntimeError(
            f"burst: unanswered {result['unanswered']}, duplicated {result['duplicated']}"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the burst's figures as JSON."""
    argparse.ArgumentParser(prog="python -m bench.bot_burst", description=__doc__).parse_args(argv)
    print(json.dumps(bot_burst(), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
