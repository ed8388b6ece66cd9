"""How answers look: Telegram HTML (every piece of outside text escaped) and console plain text."""

from __future__ import annotations

import re
from html import escape, unescape

from bot.texts import t
from knowledge.answer import Answer, Citation

TELEGRAM_LIMIT = 4096

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*]\s+(.*)$")
_TOKEN = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z-]+)")
_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)
_MARKER = re.compile(r"\[(\d+)\]")


def _line_html(line: str) -> str:
    """One line of answer text: Markdown headings become bold, bullets become •, rest escaped."""
    heading = _HEADING.match(line)
    if heading:
        return f"<b>{escape(heading.group(1), quote=False)}</b>"
    bullet = _BULLET.match(line)
    if bullet:
        return f"{bullet.group(1)}• {escape(bullet.group(2), quote=False)}"
    return escape(line, quote=False)


def text_html(text: str) -> str:
    """Answer text (with [n] markers, possibly light Markdown) as safe Telegram HTML."""
    return "\n".join(_line_html(line) for line in text.strip().splitlines())


def _source_line_html(citation: Citation) -> str:
    title = escape(citation.title or citation.source, quote=False)
    if citation.source_url and _SAFE_URL.match(citation.source_url):
        title = f'<a href="{escape(citation.source_url, quote=True)}">{title}</a>'
    section = f" — {escape(citation.section, quote=False)}" if citation.section else ""
    return f"[{citation.n}] {title}{section}"


def cited(answer: Answer) -> tuple[Citation, ...]:
    """The citations the text refers to with [n] (all of them if it refers to none): a phone
    screen lists only those; /sources and Quotes show every one."""
    used = {int(n) for n in _MARKER.findall(answer.text)}
    referenced = tuple(c for c in answer.citations if c.n in used)
    return referenced or answer.citations


def sources_html(answer: Answer, lang: str) -> str:
    """The numbered source list: title (linked when it has a URL) and section."""
    citations = cited(answer)
    if not citations:
        return ""
    lines = [f"<b>{escape(t('sources_title', lang), quote=False)}</b>"]
    lines += [_source_line_html(c) for c in citations]
    return "\n".join(lines)


def answer_html(answer: Answer, lang: str) -> str:
    """A whole answer for Telegram: the text, its notes in italics, then the numbered sources."""
    parts = [text_html(answer.text)]
    if answer.notes:
        parts.append("\n".join(f"<i>{escape(note, quote=False)}</i>" for note in answer.notes))
    sources = sources_html(answer, lang)
    if sources:
        parts.append(sources)
    return "\n\n".join(part for part in parts if part)


def quotes_html(answer: Answer, lang: str) -> str:
    """Every source with its verbatim quote, for the Quotes button and /sources."""
    blocks = [f"<b>{escape(t('quotes_title', lang), quote=False)}</b>"]
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


# Plain text for the console ----------------------------------------------------------------


def answer_plain(answer: Answer, lang: str = "en", *, with_quotes: bool = False) -> str:
    """An answer for a terminal: text, notes, numbered sources (and their quotes if asked)."""
    parts = [answer.text.strip()]
    parts += list(answer.notes)
    if answer.citations:
        lines = [t("sources_title", lang) + ":"]
        for c in answer.citations:
            line = f"[{c.n}] {c.title or c.source}"
            if c.section:
                line += f" — {c.section}"
            if c.source_url:
                line += f" <{c.source_url}>"
            lines.append(line)
            if with_quotes and c.quote:
                lines.append("    “" + " ".join(c.quote.split()) + "”")
        parts.append("\n".join(lines))
    return "\n\n".join(part for part in parts if part)


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
