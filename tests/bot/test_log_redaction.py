"""The token never reaches a log from the bot: messages, arguments, tracebacks, httpx's lines."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from config.logging import redact, setup_logging
from config.settings import Settings
from tests.bot.fake_telegram import TOKEN


def test_redact_removes_tokens_and_bot_urls() -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    assert TOKEN not in redact(url)
    assert "bot" in redact(url) and "/getUpdates" in redact(url)
    assert "hunter2" not in redact("secret=hunter2", ["hunter2"])


def test_bot_logging_redacts_messages_args_and_tracebacks(tmp_path: Path) -> None:
    settings = Settings(
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        webhook_url="https://bot.example.com/hook",
        webhook_secret="webhook-secret",  # type: ignore[arg-type]
        log_level="DEBUG",
        data_dir=tmp_path,
    )
    stream = io.StringIO()
    handler = setup_logging(settings, stream=stream)
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
    assert "RuntimeError: failed at /bot" in text
    assert text.count("HTTP Request") == 1
