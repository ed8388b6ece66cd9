"""Logging: JSON lines or text, and no secret ever in a message or a traceback."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from config.logging import REDACTED, RedactSecretsFilter, redact, setup_logging
from config.settings import Settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawZ"
API_KEY = "sk-proj-very-secret-key-0123456789"
WEBHOOK_SECRET = "hook-secret-abcdef"


def _settings(log_format: str = "text", **extra: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        llm_provider="openai",
        llm_model="gpt-4o-mini",
        llm_api_key=API_KEY,
        webhook_url="https://bot.example.com/telegram",
        webhook_secret=WEBHOOK_SECRET,
        log_format=log_format,
        **extra,
    )


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    """setup_logging changes the root logger: put it back after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)


def _log_to(log_format: str, **extra: object) -> tuple[io.StringIO, logging.Logger]:
    stream = io.StringIO()
    setup_logging(_settings(log_format, **extra), stream=stream)
    return stream, logging.getLogger("bot.test")


@pytest.mark.usefixtures("restore_root_logger")
def test_json_lines_carry_time_level_logger_and_message() -> None:
    stream, log = _log_to("json")
    log.info("answered %d questions in %s", 3, "group")
    log.warning("store slow", extra={"elapsed_ms": 812})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO"
    assert first["logger"] == "bot.test"
    assert first["message"] == "answered 3 questions in group"
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert "exc_info" not in first
    assert second["elapsed_ms"] == 812


@pytest.mark.usefixtures("restore_root_logger")
def test_json_lines_include_the_traceback_as_exc_info() -> None:
    stream, log = _log_to("json")
    try:
        raise RuntimeError("store exploded")
    except RuntimeError:
        log.exception("handler failed")
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "ERROR"
    assert entry["message"] == "handler failed"
    assert "Traceback" in entry["exc_info"]
    assert "RuntimeError: store exploded" in entry["exc_info"]


@pytest.mark.usefixtures("restore_root_logger")
def test_text_format_is_one_plain_line() -> None:
    stream, log = _log_to("text")
    log.info("hello %s", "world")
    line = stream.getvalue().strip()
    assert line.endswith("INFO bot.test: hello world")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.usefixtures("restore_root_logger")
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_are_redacted_in_messages_arguments_and_tracebacks(log_format: str) -> None:
    stream, log = _log_to(log_format)
    log.info("calling https://api.telegram.org/bot%s/getUpdates", TOKEN)
    log.warning("LLM key %s rejected", API_KEY)
    log.info("webhook secret is " + WEBHOOK_SECRET)
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except ConnectionError:
        log.exception("send failed with key=%s", API_KEY)
    output = stream.getvalue()
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
    assert API_KEY not in output
    assert WEBHOOK_SECRET not in output
    assert f"/bot{REDACTED}/getUpdates" in output
    assert f"/bot{REDACTED}/sendMessage" in output
    assert "ConnectionError" in output  # the traceback is kept, only the secret goes


@pytest.mark.usefixtures("restore_root_logger")
def test_chatty_http_loggers_are_quietened() -> None:
    stream, _ = _log_to("text")
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot...")
    assert stream.getvalue() == ""


@pytest.mark.usefixtures("restore_root_logger")
def test_calling_setup_twice_leaves_one_handler() -> None:
    setup_logging(_settings("text"), stream=io.StringIO())
    stream, log = _log_to("json")
    log.error("once")
    assert len(stream.getvalue().splitlines()) == 1
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "rtc-selection-assistant"]
    assert len(ours) == 1


@pytest.mark.usefixtures("restore_root_logger")
def test_log_level_comes_from_the_settings() -> None:
    stream, log = _log_to("text", log_level="WARNING")
    log.info("not shown")
    log.warning("shown")
    assert stream.getvalue().count("\n") == 1
    assert "shown" in stream.getvalue()


def test_a_telegram_token_shape_is_redacted_even_when_not_configured() -> None:
    other = "987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
    assert redact(f"https://api.telegram.org/bot{other}/getMe") == (
        f"https://api.telegram.org/bot{REDACTED}/getMe"
    )
    assert redact(f"token={other}") == f"token={REDACTED}"


def test_ordinary_text_is_left_alone() -> None:
    text = "Agora 1v1 video at 12:30, room 2024:5, see https://docs.example.com/bot/help"
    assert redact(text, ["sk-proj-very-secret-key-0123456789"]) == text


def test_the_filter_never_drops_a_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key %s", (API_KEY,), None)
    assert RedactSecretsFilter([API_KEY]).filter(record) is True
    assert record.getMessage() == f"key {REDACTED}"


def test_a_broken_format_string_is_still_logged_redacted() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", (API_KEY,), None)
    assert RedactSecretsFilter([API_KEY]).filter(record)
    assert "%d items" in record.getMessage()
    assert API_KEY not in record.getMessage()
