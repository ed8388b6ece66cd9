"""Building the Telegram Application and running it (polling or webhook) until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.commands import menu
from bot.conversation import CONTEXT_TTL_SECONDS, Conversation
from bot.outbox import MAX_AGE_SECONDS, DeliveryQueue
from bot.ratelimit import RateLimiter
from bot.state import BotState
from bot.tg.delivery import DeliveryWorker
from bot.tg.handlers import register_handlers
from bot.tg.health import TelegramHealth
from bot.tg.jobs import JobQueueScheduler
from bot.tg.resilience import RetryingRateLimiter
from bot.tg.sending import Sender
from bot.tg.services import SERVICES_KEY, Services
from bot.uploads import Uploader
from config import Settings
from knowledge.api import Assistant
from knowledge.gaps import EmbedFn, model_embed
from knowledge.usage import UsageLog

log = logging.getLogger(__name__)

DEFAULT_FILE_URL = "https://api.telegram.org/file/bot"
POLL_TIMEOUT = timedelta(seconds=10)


def file_base_url(base_url: str) -> str:
    """The file-download base matching TELEGRAM_BASE_URL (`…/bot` → `…/file/bot`)."""
    if base_url.rstrip("/").endswith("/bot"):
        return base_url.rstrip("/")[: -len("bot")] + "file/bot"
    return DEFAULT_FILE_URL


def build_application(
    settings: Settings,
    assistant: Assistant,
    *,
    state: BotState | None = None,
    uploader: Uploader | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: RetryingRateLimiter | None = None,
    limiter: RateLimiter | None = None,
    context_ttl: float = CONTEXT_TTL_SECONDS,
    clock: Callable[[], float] = time.time,
    concurrent_updates: int = 512,
    max_reply_age: float = MAX_AGE_SECONDS,
    probe_seconds: float = 1.0,
    embed: EmbedFn | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot's Application with its handlers and services; nothing is contacted yet."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    health = TelegramHealth()
    rate_limiter = rate_limiter or RetryingRateLimiter()
    rate_limiter.health = health
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(file_base_url(settings.telegram_base_url))
        .rate_limiter(rate_limiter)
        # Answers run concurrently; per-chat order is kept by a lock per chat (handlers).
        .concurrent_updates(concurrent_updates)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application = builder.build()

    state = state or BotState.in_data_dir(settings.data_dir, clock=clock)
    conversation = Conversation(
        assistant,
        state,
        admins=settings.bot_admins,
        limiter=limiter or RateLimiter(),
        uploader=uploader,
        scheduler=JobQueueScheduler(application, clock=clock),
        context_ttl=context_ttl,
        clock=clock,
        usage=UsageLog.in_data_dir(settings.data_dir, clock=clock),
        embed=embed or model_embed(settings.embedding_model_path),
    )
    queue = DeliveryQueue.in_data_dir(settings.data_dir, clock=clock)
    sender = Sender(application.bot, state, queue, health)
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings,
        assistant=assistant,
        conversation=conversation,
        state=state,
        sender=sender,
        queue=queue,
        health=health,
        worker=DeliveryWorker(
            application.bot,
            sender,
            queue,
            health,
            max_age=max_reply_age,
            probe_seconds=probe_seconds,
            clock=clock,
        ),
    )
    register_handlers(application)
    return application


async def set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Register the command menu in English (default) and Chinese."""
    for lang in ("en", "zh"):
        try:
            await application.bot.set_my_commands(
                [BotCommand(name, description) for name, description in menu(lang)],
                language_code=None if lang == "en" else lang,
            )
        except TelegramError as error:
            # A missing menu is cosmetic; the commands still work.
            log.warning("could not register the %s command menu: %s", lang, error)


async def serve(
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    assistant: Assistant,
    stop: asyncio.Event,
    *,
    poll_timeout: timedelta = POLL_TIMEOUT,
    on_webhook_ready: Callable[[int], None] | None = None,
) -> None:
    """Run until `stop` is set, then stop taking updates and finish the answers in flight."""
    async with application:  # initialize (getMe) … shutdown
        await set_commands(application)
        runner = None
        if settings.webhook_url:
            # aiohttp (the webhook's server) costs ~11 MB; a polling bot never loads it.
            from bot.tg.webhook import bound_port, start_webhook_server, webhook_path

            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
            path = webhook_path(settings.webhook_url)
            runner = await start_webhook_server(
                application,
                assistant,
                secret,
                path,
                settings.webhook_listen,
                settings.webhook_port,
            )
            if on_webhook_ready is not None:
                on_webhook_ready(bound_port(runner))
            await application.bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
        else:
            assert application.updater is not None
            svc = application.bot_data[SERVICES_KEY]
            await application.updater.start_polling(
                timeout=poll_timeout,
                allowed_updates=Update.ALL_TYPES,
                # Instead of PTB's traceback per failed poll: one line per outage.
                error_callback=svc.health.failed,
            )
        await application.start()
        svc = application.bot_data[SERVICES_KEY]
        scheduler = svc.conversation.scheduler
        if isinstance(scheduler, JobQueueScheduler):
            armed = scheduler.rearm_all()
            log.info("re-armed %d scheduled briefing(s)", armed)
        worker = asyncio.create_task(svc.worker.run())
        await replay_unanswered(application)
        log.info(
            "bot @%s is running (%s)", application.bot.username, "webhook" if runner else "polling"
        )
        await stop.wait()
        log.info("stopping: no new updates; finishing answers in flight")
        if runner is not None:
            await runner.cleanup()
        elif application.updater is not None and application.updater.running:
            await application.updater.stop()
        await application.stop()
        # Replies still queued stay in the outbox for the next run.
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


async def replay_unanswered(application: Application) -> int:  # type: ignore[type-arg]
    """Hand the questions a previous run received but never answered to the handlers again."""
    svc = application.bot_data[SERVICES_KEY]
    received, dropped = svc.queue.unanswered(svc.worker.max_age)
    if dropped:
        log.warning("dropped %d unanswered question(s) from the last run (too old)", dropped)
    for item in received:
        await application.update_queue.put(
            Update.de_json(json.loads(item.payload), application.bot)
        )
    if received:
        log.info("answering %d question(s) the last run left unanswered", len(received))
    return len(received)
