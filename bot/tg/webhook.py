"""Webhook mode: an aiohttp server that takes updates only with the right secret token, and
answers `/healthz` with the assistant's health."""

from __future__ import annotations

import asyncio
import hmac
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from knowledge.api import Assistant

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_path(webhook_url: str) -> str:
    """The path Telegram posts to: the path of WEBHOOK_URL ("/" when it has none)."""
    return urlsplit(webhook_url).path or "/"


def webhook_app(
    application: Application,  # type: ignore[type-arg]
    assistant: Assistant,
    secret: str,
    path: str,
) -> web.Application:
    """The aiohttp application: POST `path` (updates), GET /healthz."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
            log.warning(
                "webhook request with a wrong or missing secret token from %s", request.remote
            )
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except Exception:  # a malformed body is the sender's problem, not a crash of ours
            log.warning("webhook request with a malformed update")
            return web.Response(status=400, text="bad update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.Response:
        try:
            healthy = bool(await asyncio.to_thread(assistant.healthy))
        except Exception:
            log.exception("health check failed")
            healthy = False
        return web.json_response({"ok": healthy}, status=200 if healthy else 503)

    app = web.Application()
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    return app


async def start_webhook_server(
    application: Application,  # type: ignore[type-arg]
    assistant: Assistant,
    secret: str,
    path: str,
    listen: str,
    port: int,
) -> web.AppRunner:
    """Start serving; returns the runner (`await runner.cleanup()` stops it)."""
    runner = web.AppRunner(webhook_app(application, assistant, secret, path), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, listen, port)
    await site.start()
    log.info("webhook server listening on %s:%s%s", listen, port, path)
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port the server actually listens on (for port 0 in tests)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("webhook server is not listening")
