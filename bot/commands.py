"""The bot's commands in one table: what dispatch accepts, what /help lists and what Telegram's
command menu shows. Each command's help line and menu entry are catalog texts
(`help_<name>`, `menu_<name>` in knowledge/messages.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.texts import t


@dataclass(frozen=True, slots=True)
class Command:
    """One command: `question` when the assistant answers it, `admin` when only admins may use
    it, `menu` when Telegram's command menu lists it."""

    name: str
    question: bool = False
    admin: bool = False
    menu: bool = True
    help: bool = True


COMMANDS: tuple[Command, ...] = (
    Command("ask", question=True),
    Command("brief", question=True),
    Command("compare", question=True),
    Command("vendors"),
    Command("sources"),
    Command("reset"),
    Command("meeting"),
    Command("meetings"),
    Command("timezone"),
    Command("help", help=False),
    Command("start", menu=False, help=False),  # Telegram's first message: the help
    Command("gaps", admin=True, menu=False),
    Command("stats", admin=True, menu=False),
)
NAMES = frozenset(command.name for command in COMMANDS)
QUESTION_COMMANDS = frozenset(command.name for command in COMMANDS if command.question)
ADMIN_COMMANDS = frozenset(command.name for command in COMMANDS if command.admin)


def help_text(lang: str) -> str:
    """/help: what the bot does, examples, then one line per command of the table."""
    lines = [t(f"help_{command.name}", lang) for command in COMMANDS if command.help]
    return "\n\n".join([t("help_intro", lang), "\n".join([t("help_commands", lang), *lines])])


def menu(lang: str) -> list[tuple[str, str]]:
    """Telegram's command menu in `lang`: (name, description) for set_my_commands."""
    return [(command.name, t(f"menu_{command.name}", lang)) for command in COMMANDS if command.menu]


# How a user separates the vendors of /compare.
_VENDOR_SEPARATORS = re.compile(
    r"\s*(?:,|，|、|;|；|\bvs\.?\b|\bversus\b|\band\b|和|与|对比)\s*", re.IGNORECASE
)


def split_vendors(argument: str) -> list[str]:
    """`Agora, ZEGOCLOUD` / `Agora vs ZEGOCLOUD` / `声网 即构` → the vendor names."""
    if _VENDOR_SEPARATORS.search(argument):
        names = _VENDOR_SEPARATORS.split(argument)
    else:
        names = argument.split()
    return [name.strip() for name in names if name and name.strip()]
