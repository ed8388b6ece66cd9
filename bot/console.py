"""The console chat: the same conversation core as Telegram, with stdin and stdout as transport."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.conversation import Conversation, Incoming, Reply
from bot.routing import parse_command
from knowledge.rendering import plain_reply

CONSOLE_CHAT_ID = 0
CONSOLE_USER_ID = 0


def reply_plain(reply: Reply) -> str:
    """A reply as plain text for a terminal."""
    parts = [reply.notice] if reply.notice else []
    if reply.answer is not None:
        parts.append(plain_reply(reply.answer, with_quotes=reply.show_quotes))
    return "\n\n".join(parts)


def line_to_incoming(line: str) -> Incoming | None:
    """A console line: `/command args`, or a question; None for a blank line."""
    text = line.strip()
    if not text:
        return None
    command = parse_command(text)
    if command is None:
        return Incoming(CONSOLE_CHAT_ID, CONSOLE_USER_ID, "ask", text)
    name, _target, argument = command
    return Incoming(CONSOLE_CHAT_ID, CONSOLE_USER_ID, name, argument)


async def run_console(
    conversation: Conversation,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    prompt: bool | None = None,
) -> None:
    """Answer each line of `stdin` until end of input; a prompt only when it is a terminal."""
    if prompt is None:
        prompt = stdin.isatty()
    while True:
        if prompt:
            print("> ", end="", file=sys.stderr, flush=True)
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        incoming = line_to_incoming(line)
        if incoming is None:
            continue
        reply = await conversation.handle(incoming)
        print(reply_plain(reply), file=stdout)
        print(file=stdout, flush=True)
