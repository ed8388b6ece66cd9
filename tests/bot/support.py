"""Helpers for the bot tests: settings, the Application with fast limits, the bot serving
in-process, and a harness that runs handlers on a recording request."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.ratelimit import RateLimiter
from bot.state import BotState
from bot.tg.app import build_application, serve
from bot.tg.resilience import RetryingRateLimiter
from bot.tg.services import SERVICES_KEY, Services
from config import Settings
from tests.bot.fake_telegram import TOKEN, FakeBotApi, RecordingRequest
from tests.bot.fakes import FakeAssistant, word_embed


def make_settings(
    tmp_path: Path, base_url: str = "http://127.0.0.1:9/bot", **overrides: Any
) -> Settings:
    """Settings from explicit values only (no .env, no shell variables leaking in)."""
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_base_url": base_url,
        "data_dir": tmp_path / "data",
        "chroma_path": tmp_path / "chroma",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def fast_rate_limiter() -> RetryingRateLimiter:
    """No flood limits (tests send hundreds of messages), quick network retries."""
    return RetryingRateLimiter(overall_max_rate=0, group_max_rate=0, backoff=0.05, max_retries=3)


def make_app(settings: Settings, assistant: FakeAssistant, **kwargs: Any) -> Application:
    """The real Application with fast test limits."""
    kwargs.setdefault("rate_limiter", fast_rate_limiter())
    kwargs.setdefault("limiter", RateLimiter(max_events=1000))
    kwargs.setdefault("embed", word_embed)
    return build_application(settings, assistant, **kwargs)  # type: ignore[arg-type]


def svc(app: Application) -> Services:
    """The app's services."""
    return app.bot_data[SERVICES_KEY]


def close_services(app: Application) -> None:
    """Close the app's databases."""
    services = svc(app)
    services.state.close()
    services.queue.close()
    if services.conversation.usage is not None:
        services.conversation.usage.close()


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings, assistant: FakeAssistant, **kwargs: Any
) -> AsyncIterator[Application]:
    """The bot serving in-process (polling or webhook, per settings) until the block ends."""
    app = make_app(settings, assistant, **kwargs)
    stop = asyncio.Event()
    ready = asyncio.Event()
    ports: list[int] = []

    def on_webhook_ready(port: int) -> None:
        ports.append(port)

    task = asyncio.create_task(
        serve(
            app,
            settings,
            assistant,
            stop,  # type: ignore[arg-type]
            poll_timeout=timedelta(seconds=1),
            on_webhook_ready=on_webhook_ready,
        )
    )
    app.bot_data["webhook_ports"] = ports
    try:
        while not app.running:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        ready.set()
        yield app
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        close_services(app)


class Harness:
    """The Application on a RecordingRequest: `send(update)` runs the handlers to completion."""

    def __init__(self, tmp_path: Path, assistant: FakeAssistant, **settings: Any) -> None:
        self.api = FakeBotApi()
        self.settings = make_settings(tmp_path, **settings)
        self.assistant = assistant
        request: BaseRequest = RecordingRequest(self.api)
        self.app = make_app(
            self.settings,
            assistant,
            request=request,
            get_updates_request=RecordingRequest(self.api),
        )

    async def __aenter__(self) -> Harness:
        await self.app.initialize()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.app.shutdown()
        close_services(self.app)

    async def send(self, update: dict[str, Any]) -> None:
        """Process one update as if it came from Telegram."""
        self.api.updates.clear()
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def message(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """Build a message update with the fake's helper, then process it."""
        update = self.api.message(chat_id, text, **kwargs)
        await self.send(update)
        return update

    @property
    def state(self) -> BotState:
        """The bot's SQLite state."""
        return svc(self.app).state
