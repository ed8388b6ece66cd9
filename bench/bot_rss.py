"""Resident memory of the real bot process: `python -m bench.bot_rss STORE` prints JSON.

`python -m bot` runs as a subprocess in Telegram mode against the fake Bot API of the tests
(tests/bot/fake_telegram.py, served on 127.0.0.1 only), on the store given and a fresh DATA_DIR.
Questions go to several private chats and one group chat at once; when every one is answered,
the RSS of the bot process (and of any children) is sampled, then the bot gets SIGTERM.

Readiness: the bot opens the assistant (model, store) before it builds the Application, and
registers its command menu (setMyCommands) right after getMe, just before polling; the
questions are queued once the fake has seen setMyCommands. An answer is a sendMessage that
carries the answer's buttons (reply_markup): they go on the last part of an answer only, never
on a notice (error, timeout, rate limit), so a chat counts as answered once one arrives there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from config import Settings
    from tests.bot.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
# The last question goes to the group chat (as `/ask …` unless it is a command already).
QUESTIONS = (
    "what matters for a voice room?",
    "语聊房的回声消除怎么测试?",
    "How is bypass streaming billed?",
    "/brief voice room",
    "Compare Agora and ZEGO for 1v1 video",
)
START_TIMEOUT = 120.0
ANSWER_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
POLL_SECONDS = 0.2
FIRST_PRIVATE_CHAT = 1001
GROUP_CHAT = -1001000000001
# Settings the bot must not take from the caller's shell: the fake replaces Telegram, the
# store and DATA_DIR are given, the answerer is the default (extractive, no LLM).
_NOT_INHERITED = (
    "TELEGRAM_",
    "WEBHOOK_",
    "BOT_",
    "LOG_",
    "LLM_",
    "CHROMA_",
    "DATA_DIR",
    "EMBEDDING_MODEL",
)


class BotRssError(RuntimeError):
    """The bot did not start, or never answered; the message ends with the bot's log."""


def _mb(value: int) -> int:
    return round(value / 2**20)


def tree_rss(pid: int) -> int:
    """RSS in bytes of a process and its children (0 once it is gone)."""
    try:
        process = psutil.Process(pid)
        total = process.memory_info().rss
        children = process.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total


def high_water_mark(pid: int) -> int:
    """The process's peak RSS in bytes as the kernel counted it (VmHWM; 0 where unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def bot_env(
    settings: Settings, store_dir: Path, data_dir: Path, token: str, base_url: str
) -> dict[str, str]:
    """The bot's environment: the caller's, minus every bot setting, plus the fake's."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_NOT_INHERITED)}
    loopback = "127.0.0.1,localhost"
    no_proxy = ",".join(p for p in (os.environ.get("NO_PROXY", ""), loopback) if p)
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_BASE_URL=base_url,
        CHROMA_PATH=str(store_dir),
        CHROMA_COLLECTION=settings.chroma_collection,
        EMBEDDING_MODEL=settings.embedding_model_path,
        DATA_DIR=str(data_dir),
        LOG_LEVEL="INFO",
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        NO_PROXY=no_proxy,
        no_proxy=no_proxy,
        PTB_TIMEDELTA="1",
    )
    return env


def plan(questions: Sequence[str]) -> list[tuple[int, str, str]]:
    """(chat id, message text, language code) per question: the last one in the group."""
    messages = []
    for index, question in enumerate(questions):
        lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in question) else "en"
        if index == len(questions) - 1 and len(questions) > 1:
            text = question if question.startswith("/") else f"/ask {question}"
            messages.append((GROUP_CHAT, text, lang))
        else:
            messages.append((FIRST_PRIVATE_CHAT + index, question, lang))
    return messages


def answered_chats(fake: FakeTelegram) -> set[int]:
    """Chats that received the last part of an answer (it carries the answer's buttons)."""
    return {
        int(call.params["chat_id"])
        for call in fake.sent("sendMessage")
        if "reply_markup" in call.params and isinstance(call.params.get("chat_id"), int)
    }


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


class _Run:
    """One bot process: waits that watch it, and its peak memory."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path
        self.peak = 0

    def sample(self) -> int:
        rss = tree_rss(self.process.pid)
        self.peak = max(self.peak, rss, high_water_mark(self.process.pid))
        return rss

    async def wait_until(self, done: Callable[[], bool], timeout: float, what: str) -> bool:
        """Poll (bounded) until `done()`; False on timeout. The bot exiting is an error."""
        deadline = time.monotonic() + timeout
        while not done():
            if self.process.returncode is not None:
                raise BotRssError(
                    f"the bot exited with status {self.process.returncode} while {what}; "
                    f"its log ends:\n{_log_tail(self.log_path)}"
                )
            if time.monotonic() >= deadline:
                return False
            self.sample()
            await asyncio.sleep(POLL_SECONDS)
        return True

    async def stop(self) -> int | None:
        """SIGTERM (the bot finishes answers in flight), then SIGKILL after STOP_TIMEOUT; the
        exit status, or None when the bot had exited already (that was reported)."""
        if self.process.returncode is not None:
            return None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        return self.process.returncode


async def _probe(
    settings: Settings,
    store_dir: Path,
    data_dir: Path,
    questions: Sequence[str],
    start_timeout: float,
    answer_timeout: float,
) -> dict[str, Any]:
    from tests.bot.fake_telegram import TOKEN, FakeTelegram

    messages = plan(questions)
    fake = await FakeTelegram().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bot-rss-") as folder:
            # An empty working directory: no .env of the checkout reaches the bot.
            log_path = Path(folder) / "bot.log"
            with log_path.open("wb") as log:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    cwd=folder,
                    env=bot_env(settings, store_dir, data_dir, TOKEN, fake.base_url),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                )
            run = _Run(process, log_path)
            try:
                return await _measure(run, fake, messages, start_timeout, answer_timeout)
            finally:
                status = await run.stop()
                if status not in (0, None):
                    print(
                        f"bot_rss: the bot exited with status {status} after SIGTERM; its log "
                        f"ends:\n{_log_tail(log_path)}",
                        file=sys.stderr,
                    )
    finally:
        await fake.stop()


async def _measure(
    run: _Run,
    fake: FakeTelegram,
    messages: list[tuple[int, str, str]],
    start_timeout: float,
    answer_timeout: float,
) -> dict[str, Any]:
    started = time.monotonic()
    ready = await run.wait_until(
        lambda: bool(fake.sent("setMyCommands")), start_timeout, "starting"
    )
    if not ready:
        raise BotRssError(
            f"the bot did not start within {start_timeout:.0f} s; its log ends:\n"
            f"{_log_tail(run.log_path)}"
        )
    startup = time.monotonic() - started
    rss_ready = run.sample()
    for index, (chat_id, text, lang) in enumerate(messages):
        user = chat_id if chat_id > 0 else 5000 + index
        fake.message(chat_id, text, user_id=user, language_code=lang)
    chats = {chat_id for chat_id, _, _ in messages}
    started = time.monotonic()
    await run.wait_until(lambda: chats <= answered_chats(fake), answer_timeout, "answering")
    answering = time.monotonic() - started
    answered = chats & answered_chats(fake)
    if not answered:
        raise BotRssError(
            f"the bot never answered ({len(messages)} questions, {answer_timeout:.0f} s); "
            f"messages it sent: {fake.texts()[:5]!r}; its log ends:\n{_log_tail(run.log_path)}"
        )
    await asyncio.sleep(0.5)  # let the last sends settle
    rss = run.sample()
    memory = psutil.virtual_memory().total / 2**30
    result: dict[str, Any] = {
        "rss_mb": _mb(rss),
        "rss_mb_ready": _mb(rss_ready),
        "rss_mb_peak": _mb(run.peak),
        "questions": len(messages),
        "answered": len(answered),
        "startup_s": round(startup, 1),
        "answers_s": round(answering, 1),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GB",
    }
    missing = [text for chat_id, text, _ in messages if chat_id not in answered]
    if missing:
        result["unanswered"] = missing
    return result


def bot_process_rss(
    store_dir: Path,
    data_dir: Path,
    questions: Sequence[str] = QUESTIONS,
    *,
    settings: Settings | None = None,
    start_timeout: float = START_TIMEOUT,
    answer_timeout: float = ANSWER_TIMEOUT,
) -> dict[str, Any]:
    """Run `python -m bot` on `store_dir` (DATA_DIR `data_dir`) against the fake Bot API, ask
    `questions`, and return its RSS in MB with what was answered. The collection and embedding
    model come from `settings` (default: load_settings()). Raises BotRssError when the bot does
    not start or answers nothing; a partial result lists its `unanswered` questions."""
    if not questions:
        raise ValueError("at least one question is needed")
    if settings is None:
        from config import load_settings

        settings = load_settings()
    data_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(
        _probe(
            settings,
            Path(store_dir).resolve(),
            Path(data_dir).resolve(),
            questions,
            start_timeout,
            answer_timeout,
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print one JSON line; exit 1 when a question went unanswered."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bot_rss",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("store", type=Path, metavar="STORE", help="embedded store directory")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the bot's DATA_DIR (default: a fresh temporary directory, removed afterwards)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=ANSWER_TIMEOUT,
        metavar="S",
        help="seconds to wait for start-up, and again for the answers "
        f"(default {ANSWER_TIMEOUT:.0f})",
    )
    args = parser.parse_args(argv)
    if not args.store.is_dir():
        parser.error(f"no store directory at {args.store}")
    try:
        with tempfile.TemporaryDirectory(prefix="bot-rss-data-") as scratch:
            result = bot_process_rss(
                args.store,
                args.data_dir or Path(scratch),
                start_timeout=args.timeout,
                answer_timeout=args.timeout,
            )
    except BotRssError as error:
        print(f"bot_rss: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    if result["answered"] < result["questions"]:
        print(f"bot_rss: unanswered: {result['unanswered']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
