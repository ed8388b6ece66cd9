"""`python -m bot` as a process: usage, configuration errors, the console, Telegram + SIGTERM."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = [sys.executable, str(ROOT / "tests" / "bot" / "run_bot.py")]
pytestmark = pytest.mark.e2e


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment without any TELEGRAM_/WEBHOOK_/BOT_ settings of the shell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WEBHOOK_", "BOT_", "LOG_", "DATA_DIR"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DATA_DIR=str(tmp_path / "data"),
        NO_PROXY="127.0.0.1,localhost",
        PTB_TIMEDELTA="1",
    )
    env.update(extra)
    return env


def run(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """Run a command in an empty directory (no .env) and capture its output."""
    return subprocess.run(
        args,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=clean_env(tmp_path, **env),
    )


def test_help(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "bot", "--help"], tmp_path)
    assert result.returncode == 0
    assert "--console" in result.stdout and "--console-without-token" in result.stdout


def test_config_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "bot", "--console"], tmp_path, LOG_LEVEL="chatty")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("configuration error: LOG_LEVEL")
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_token_says_how_to_set_it_and_exits_2(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "bot"], tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "export TELEGRAM_BOT_TOKEN=" in result.stderr and ".env" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_without_token_falls_back_to_the_console(tmp_path: Path) -> None:
    result = run(
        [*LAUNCHER, "--console-without-token"],
        tmp_path,
        stdin="What latency for a voice room?\n/help\n",
    )
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "Answer to: What latency for a voice room? [1]" in result.stdout
    assert "Sources:" in result.stdout and "[2] Nimbus <RTC>" in result.stdout
    assert "/brief TOPIC" in result.stdout


def test_console_shares_the_commands(tmp_path: Path) -> None:
    stdin = "first question\n\n/brief Nimbus voice room\n/compare Nimbus, Zephyr\n/sources\n"
    result = run([*LAUNCHER, "--console"], tmp_path, stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Answer to: first question" in out
    assert "Briefing: Nimbus voice room\n\nWhat matters for Nimbus voice room\n• Latency" in out
    assert "Latency\n• Nimbus: 200 ms [1]\n• Zephyr: 200 ms [1]" in out
    assert "“Keep it < 200 ms & never <script>alert(1)</script>”" in out  # /sources quotes


async def test_telegram_process_answers_and_finishes_in_flight_on_sigterm(
    fake: FakeTelegram,
    tmp_path: Path,
) -> None:
    env = clean_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=fake.base_url,
        LOG_LEVEL="DEBUG",
        FAKE_ASSISTANT_DELAY="1.5",
    )
    process = await asyncio.create_subprocess_exec(
        *LAUNCHER,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        fake.message(42, "What should a voice room test under packet loss?")
        # The typing indicator shows the answer is in flight; then ask the bot to stop.
        await fake.wait_for(lambda: bool(fake.sent("sendChatAction", 42)), timeout=30)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert fake.texts(42)[0].startswith("• Answer to: What should a voice room test")
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "finishing answers in flight" in log


@pytest.mark.skipif(
    importlib.util.find_spec("knowledge.factory") is None
    or os.environ.get("BOT_TEST_REAL_ASSISTANT") != "1",
    reason="set BOT_TEST_REAL_ASSISTANT=1 (ingests the corpus, loads the model: minutes)",
)
def test_console_with_the_real_assistant(tmp_path: Path) -> None:
    chroma = str(tmp_path / "chroma")
    env = clean_env(tmp_path, CHROMA_PATH=chroma)
    ingest = subprocess.run(
        [sys.executable, "-m", "ingest", str(ROOT / "knowledge" / "corpus")],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        env=env,
    )
    assert ingest.returncode == 0, ingest.stderr[-2000:]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--console"],
        capture_output=True,
        text=True,
        input="What end-to-end latency should a voice chat room target?\n/brief voice room\n",
        timeout=900,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Sources:" in result.stdout
    print(result.stdout)


async def _start_bot(fake: FakeTelegram, tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *LAUNCHER,
        cwd=tmp_path,
        env=clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            **env,
        ),
        stdin=subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> str:
    if process.returncode is None:
        process.send_signal(sig)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    return stderr.decode()


async def test_a_reply_held_in_flight_by_kill_9_is_delivered_after_restart(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    held = fake.hold("sendMessage", match=lambda p: p.get("chat_id") == 42)
    process = await _start_bot(fake, tmp_path)
    try:
        fake.message(42, "What should a voice room test under packet loss?")
        await asyncio.wait_for(held.arrived.wait(), 30)
        await _stop(process, signal.SIGKILL)
        held.release()
        assert fake.texts(42) == []  # the held call never answered its (dead) client
        process = await _start_bot(fake, tmp_path)
        await fake.wait_for(lambda: len(fake.texts(42)) == 1, timeout=30)
        await asyncio.sleep(1.0)  # nothing more arrives
    finally:
        log = await _stop(process)
    assert fake.texts(42)[0].startswith("• Answer to: What should a voice room test")
    assert len(fake.texts(42)) == 1, log
    assert "Traceback" not in log


async def test_a_question_unanswered_at_kill_9_is_answered_after_restart(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    process = await _start_bot(fake, tmp_path, FAKE_ASSISTANT_DELAY="30")
    try:
        fake.message(42, "Which codec for a low-bandwidth voice room?")
        await fake.wait_for(lambda: bool(fake.sent("sendChatAction", 42)), timeout=30)
        await _stop(process, signal.SIGKILL)
        process = await _start_bot(fake, tmp_path)
        await fake.wait_for(lambda: len(fake.texts(42)) == 1, timeout=30)
        await asyncio.sleep(1.0)
    finally:
        log = await _stop(process)
    assert fake.texts(42)[0].startswith("• Answer to: Which codec for a low-bandwidth voice room?")
    assert len(fake.texts(42)) == 1
    assert "left unanswered" in log
