"""How answers look: Telegram HTML (every piece of outside text escaped) and console plain text."""

from __future__ import annotations

import re
from html import escape, unescape

from knowledge.api import Answer, Citation
from knowledge.messages import message
from knowledge.rendering import BULLET, point_plain

TELEGRAM_LIMIT = 4096

_TOKEN = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z-]+)")
_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)
_MARKER = re.compile(r"\[(\d+)\]")


def _source_line_html(citation: Citation) -> str:
    title = escape(citation.title or citation.source, quote=False)
    if citation.source_url and _SAFE_URL.match(citation.source_url):
        title = f'<a href="{escape(citation.source_url, quote=True)}">{title}</a>'
    section = f" — {escape(citation.section, quote=False)}" if citation.section else ""
    return f"[{citation.n}] {title}{section}"


def cited(answer: Answer) -> tuple[Citation, ...]:
    """The citations the answer's points (or, for an unstructured answer, its [n] markers)
    refer to, all of them if none: a phone screen lists only those; Quotes shows every one."""
    used = {n for section in answer.sections for point in section.points for n in point.cites}
    used = used or {int(n) for n in _MARKER.findall(answer.text)}
    referenced = tuple(c for c in answer.citations if c.n in used)
    return referenced or answer.citations


def sources_html(answer: Answer, lang: str) -> str:
    """The numbered source list: title (linked when it has a URL) and section."""
    citations = cited(answer)
    if not citations:
        return ""
    lines = [f"<b>{_escape(message('sources_title', lang))}</b>"]
    lines += [_source_line_html(c) for c in citations]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return escape(text, quote=False)


def body_html(answer: Answer) -> str:
    """The answer's structure as Telegram HTML: a bold title over titled sections (a lone
    title, such as an abstention, stays plain), notes in italics, points as bullets."""
    if not answer.sections and not answer.title:
        return _escape(answer.text.strip())  # an answer stored before answers had structure
    blocks: list[str] = []
    if answer.title:
        blocks.append(
            f"<b>{_escape(answer.title)}</b>" if answer.sections else _escape(answer.title)
        )
    if answer.notes:
        blocks.append("\n".join(f"<i>{_escape(note)}</i>" for note in answer.notes))
    for section in answer.sections:
        lines = [f"<b>{_escape(section.title)}</b>"] if section.title else []
        lines += [BULLET + _escape(point_plain(point, answer.lang)) for point in section.points]
        blocks.append("\n".join(lines))
    return "\n\n".join(block for block in blocks if block)


def answer_html(answer: Answer, lang: str) -> str:
    """A whole answer for Telegram: its body, then the numbered sources."""
    parts = [body_html(answer), sources_html(answer, lang)]
    return "\n\n".join(part for part in parts if part)


def quotes_html(answer: Answer, lang: str) -> str:
    """Every source with its verbatim quote, for the Quotes button and /sources."""
    blocks = [f"<b>{_escape(message('quotes_title', lang))}</b>"]
    for citation in answer.citations:
        quote = escape(citation.quote.strip(), quote=False)
        blocks.append(f"{_source_line_html(citation)}\n<blockquote>{quote}</blockquote>")
    return "\n\n".join(blocks)


def as_plain_text(html: str) -> str:
    """HTML of ours back to plain text (the fallback when Telegram rejects the HTML)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def notice_html(text: str) -> str:
    """A plain message from the bot itself, escaped (it may quote user input)."""
    return escape(text, quote=False)


# Splitting ---------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_html(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML into messages of at most `limit` units, at paragraph, then line, then word
    boundaries; never inside a tag or entity, and tags open at a cut are closed and reopened."""
    if utf16_len(html) <= limit:
        return [html]
    tokens = _TOKEN.findall(html)
    parts: list[str] = []
    start = 0
    reopen: list[str] = []  # opening tags carried over from the previous part
    while start < len(tokens):
        prefix = "".join(reopen)
        end, stack = _cut(tokens, start, limit - utf16_len(prefix), reopen)
        body = "".join(tokens[start:end]).strip("\n")
        closing = "".join(f"</{_tag_name(tag)}>" for tag in reversed(stack))
        if body.strip():
            parts.append(prefix + body + closing)
        reopen = stack
        start = end
        # Paragraph breaks at the cut would only become leading blank lines.
        while start < len(tokens) and tokens[start] == "\n":
            start += 1
    return parts


def _tag_name(tag: str) -> str:
    match = _TAG_NAME.match(tag)
    return match.group(1).lower() if match else ""


def _cut(tokens: list[str], start: int, budget: int, open_tags: list[str]) -> tuple[int, list[str]]:
    """Where the part starting at `start` ends, and the tags open there."""
    stack = list(open_tags)
    used = 0
    best: dict[str, tuple[int, list[str], int]] = {}
    i = start
    while i < len(tokens):
        token = tokens[i]
        closers = sum(utf16_len(_tag_name(tag)) + 3 for tag in stack)
        if used + utf16_len(token) + closers > budget and i > start:
            break
        used += utf16_len(token)
        if token.startswith("<") and len(token) > 1:
            if token.startswith("</"):
                name = _tag_name(token)
                for j in range(len(stack) - 1, -1, -1):
                    if _tag_name(stack[j]) == name:
                        del stack[j]
                        break
            else:
                stack.append(token)
        i += 1
        # Remember the latest boundary of each kind.
        if token == "\n" and i < len(tokens) and tokens[i] == "\n":
            best["paragraph"] = (i - 1, list(stack), used)
        elif token == "\n":
            best["line"] = (i, list(stack), used)
        elif token == " ":
            best["word"] = (i, list(stack), used)
    if i >= len(tokens):
        return i, stack
    # The coarsest boundary that still fills half a message; else the fullest one found.
    candidates = [best[kind] for kind in ("paragraph", "line", "word") if kind in best]
    candidates = [c for c in candidates if c[0] > start]
    for index, open_tags_there, filled in candidates:
        if filled >= budget / 2:
            return index, open_tags_there
    if candidates:
        index, open_tags_there, _ = max(candidates, key=lambda c: c[2])
        return index, open_tags_there
    return i, stack
