"""The start-up every command-line entry point shares: settings, then logging."""

from __future__ import annotations

import sys
from collections.abc import Callable

from config.settings import ConfigError, Settings, load_settings


def _always(settings: Settings) -> bool:
    return True


def start_command(quiet: Callable[[Settings], bool] = _always) -> Settings | None:
    """The settings with logging set up, or None after printing the one line that names the
    wrong variable (the caller exits with its usage status). `quiet(settings)` says whether
    the command talks to a person at a terminal: warnings only then, unless LOG_LEVEL asks for
    more."""
    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return None

    from config.logging import setup_command_logging, setup_logging

    if quiet(settings):
        setup_command_logging(settings)
    else:
        setup_logging(settings)
    return settings
