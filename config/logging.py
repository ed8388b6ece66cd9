"""Process-wide logging: plain text or JSON lines (LOG_FORMAT), with secrets redacted.

`setup_logging(settings)` is called once at the edge (each `__main__`). Redaction is a filter on
the handler, so it covers every logger, the formatted arguments and the traceback text alike.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

from config.settings import Settings

REDACTED = "[REDACTED]"
# A Telegram bot token is `<bot id>:<35 characters>`; the Bot API puts it in every URL as
# `/bot<token>/`. Matching the shape also catches tokens that are not the configured one.
_TELEGRAM_TOKEN = re.compile(r"\b(bot)?\d{5,}:[A-Za-z0-9_-]{30,}")
# Attributes every LogRecord has; anything else was passed with `extra=` and goes into JSON.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)
# Libraries that log each HTTP request at INFO, URL (with the bot token) included.
_CHATTY_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.ext.Updater",
    "apscheduler",
    "chromadb",
    "aiohttp.access",
)
_HANDLER_NAME = "rtc-selection-assistant"


def secrets_of(settings: Settings) -> list[str]:
    """The secret values of `settings` that must never reach a log."""
    values = []
    for secret in (settings.telegram_bot_token, settings.llm_api_key, settings.webhook_secret):
        if secret is not None and secret.get_secret_value():
            values.append(secret.get_secret_value())
    return values


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the given secrets and anything shaped like a Telegram token replaced."""
    # Longest first, so a secret containing another is replaced whole.
    for secret in sorted(set(secrets), key=len, reverse=True):
        # Very short values would blank out ordinary words; real secrets are long.
        if len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    return _TELEGRAM_TOKEN.sub(lambda m: f"{m.group(1) or ''}{REDACTED}", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record so its message and traceback carry no secret; never drops one."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]
        self._traceback_formatter = logging.Formatter()

    @classmethod
    def from_settings(cls, settings: Settings) -> RedactSecretsFilter:
        """A filter for the secrets of `settings` (token, LLM API key, webhook secret)."""
        return cls(secrets_of(settings))

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place: the message is formatted once here, the traceback rendered here."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, redacted
            message = f"{record.msg} {record.args}"
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._traceback_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
            # Formatters render exc_text when it is set; drop exc_info so none re-renders it.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and exc_info when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (extras passed with `extra=` are included)."""
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry and not key.startswith("_"):
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send all logs to stderr (or `stream`) as text or JSON lines, secrets redacted.

    Calling it again replaces the handler it installed before (tests, reloaded settings).
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else _text_formatter())
    handler.addFilter(RedactSecretsFilter.from_settings(settings))

    root = logging.getLogger()
    for old in [h for h in root.handlers if _replaceable(h)]:
        root.removeHandler(old)
        if old.get_name() == _HANDLER_NAME:
            old.close()
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    logging.captureWarnings(True)
    return handler


def _replaceable(handler: logging.Handler) -> bool:
    """Ours from an earlier call, or a console handler of `logging.basicConfig` (unredacted)."""
    if handler.get_name() == _HANDLER_NAME:
        return True
    return type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, sys.stdout)


def _text_formatter() -> logging.Formatter:
    formatter = logging.Formatter(TEXT_FORMAT)
    formatter.default_msec_format = "%s.%03d"
    return formatter


def setup_command_logging(settings: Settings) -> logging.Handler:
    """Logging for a command line: warnings and errors only, unless LOG_LEVEL asks for DEBUG."""
    quiet = settings.log_level == "INFO"
    return setup_logging(
        settings.model_copy(update={"log_level": "WARNING"}) if quiet else settings
    )
