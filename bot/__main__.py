"""`python -m bot [--console] [--console-without-token]`: the Telegram bot or the console chat."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from bot.allocator import limit_allocator_growth
from config import Settings
from config.startup import start_command
from knowledge.api import Assistant

NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather, then "
    "`export TELEGRAM_BOT_TOKEN=123456:ABC...` or add the line "
    "`TELEGRAM_BOT_TOKEN=123456:ABC...` to .env"
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The selection assistant on Telegram (polling, or a webhook when "
        "WEBHOOK_URL is set), or as a console chat.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--console",
        action="store_true",
        help="chat on standard input/output instead of Telegram (no token needed); "
        "one question or /command a line, exits at end of input",
    )
    mode.add_argument(
        "--console-without-token",
        action="store_true",
        help="run Telegram when TELEGRAM_BOT_TOKEN is set, else say how to set it and start "
        "the console chat (what `make run` uses)",
    )
    return parser.parse_args(argv)


def open_assistant(settings: Settings) -> Assistant:
    """The real assistant; imported here only (it loads models), so tests can use fakes.

    A store that is down at start-up does not stop the bot: the assistant opens on first use.
    """
    from bot.deferred import DeferredAssistant
    from knowledge.factory import open_assistant as factory

    return DeferredAssistant(lambda: factory(settings))


async def run_console_mode(settings: Settings) -> None:
    """The console chat on stdin/stdout."""
    from bot.console import run_console
    from bot.conversation import Conversation
    from bot.state import BotState
    from knowledge.usage import UsageLog

    state = BotState.in_data_dir(settings.data_dir)
    usage = UsageLog.in_data_dir(settings.data_dir)
    try:
        await run_console(Conversation(open_assistant(settings), state, usage=usage))
    finally:
        state.close()
        usage.close()


async def run_telegram_mode(settings: Settings) -> None:
    """The Telegram bot until SIGTERM or SIGINT; answers in flight are finished first."""
    from bot.tg.app import build_application, serve
    from bot.uploads import ingest_uploader

    assistant = open_assistant(settings)
    application = build_application(settings, assistant, uploader=ingest_uploader(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve(application, settings, assistant, stop)
    finally:
        services = application.bot_data["services"]
        services.state.close()
        services.queue.close()
        if services.conversation.usage is not None:
            services.conversation.usage.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2: configuration or usage error)."""
    args = parse_args(argv)
    # Before any thread exists: arenas are created per thread, on first use.
    limit_allocator_growth()
    # The console is for a person reading answers: warnings only, unless LOG_LEVEL says more.
    settings = start_command(
        lambda s: args.console or (args.console_without_token and s.telegram_bot_token is None)
    )
    if settings is None:
        return 2
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""

    console = args.console
    if not console and not token:
        print(NO_TOKEN, file=sys.stderr)
        if not args.console_without_token:
            return 2
        print(
            "Starting the console chat instead (one question a line; Ctrl-D to quit).",
            file=sys.stderr,
        )
        console = True
    try:
        asyncio.run(run_console_mode(settings) if console else run_telegram_mode(settings))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
