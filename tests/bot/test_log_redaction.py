"""The token never reaches a log: messages, arguments, tracebacks, httpx's request lines."""

from __future__ import annotations

import io
import logging

from bot.logs import configure_logging, redact
from tests.bot.fake_telegram import TOKEN


def test_redact_removes_tokens_and_bot_urls() -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    assert TOKEN not in redact(url)
    assert redact(url) == "https://api.telegram.org/bot<redacted>/getUpdates"
    assert redact("secret=hunter2", ["hunter2"]) == "secret=<redacted>"


def test_logging_filter_redacts_messages_args_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", "text", [TOKEN, "webhook-secret"], stream=stream)
    try:
        log = logging.getLogger("bot.test")
        log.info("calling %s", f"http://127.0.0.1/bot{TOKEN}/sendMessage")
        log.warning("webhook secret is %s", "webhook-secret")
        try:
            raise RuntimeError(f"failed at /bot{TOKEN}/getMe")
        except RuntimeError:
            log.exception("request failed")
        # httpx logs each request URL at INFO: silenced below WARNING, redacted above.
        logging.getLogger("httpx").info("HTTP Request: POST .../bot%s/getMe", TOKEN)
        logging.getLogger("httpx").warning("HTTP Request: POST .../bot%s/getMe", TOKEN)
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert TOKEN not in text and "webhook-secret" not in text
    assert "bot<redacted>/sendMessage" in text
    assert "RuntimeError: failed at /bot<redacted>/getMe" in text
    assert text.count("HTTP Request") == 1


def test_json_format() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", "json", [TOKEN], stream=stream)
    try:
        logging.getLogger("bot.test").info("token %s", TOKEN)
    finally:
        logging.getLogger().removeHandler(handler)
    assert '"message": "token <redacted>"' in stream.getvalue()
