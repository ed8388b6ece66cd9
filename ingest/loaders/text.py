"""Plain text → blocks: paragraphs, list items and (conservatively) heading lines."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.document import Block, DocumentMeta, LoadedDocument
from ingest.loaders.common import decoded, finish
from ingest.text import collapse, join_lines
from store.language import CJK

SENTENCE_END = re.compile(r"[。！？!?；;….][”’\"'」』）)\]]*$")
_TXT_ITEM = re.compile(r"^(?:[-*•·▪●]|\d{1,3}[.)、])\s*(\S.*)$")
_NO_HEADING_END = re.compile(r"[。．.!！,，;；:：、…—\-]$")
_INNER_STOP = re.compile(r"[。！；]|[.!;]\s")
_HAS_WORD = re.compile(r"[^\W\d_]")
_WIDE = re.compile(f"[{CJK}]")
_HEADING_WIDTH = 60
_HEADING_WORDS = 10


def width(text: str) -> int:
    """Display width: CJK characters count double, as they take two columns."""
    return len(text) + len(_WIDE.findall(text))


def heading_shape(line: str) -> bool:
    """Short, one phrase, no final punctuation except a question mark: may be a title."""
    if not line or len(line) > _HEADING_WIDTH or width(line) > _HEADING_WIDTH:
        return False
    if len(line.split()) > _HEADING_WORDS:
        return False
    if _NO_HEADING_END.search(line) or _INNER_STOP.search(line) or _TXT_ITEM.match(line):
        return False
    if not _HAS_WORD.search(line):
        return False  # page numbers, rules of dashes
    first = line[0]
    return not (first.isascii() and first.isalpha() and not first.isupper())


def _starts_text(line: str) -> bool:
    """Whether a line can follow a heading: text that starts like a sentence or a list item."""
    if not line or heading_shape(line):
        return False
    first = line[0]
    return not (first.isalpha() and first.islower())


def parse_plain_text(text: str) -> list[Block]:
    """Plain text → blocks: paragraphs, list items and (conservatively) heading lines."""
    raw_lines = text.split("\n")
    lines = [collapse(line) for line in raw_lines]
    blocks: list[Block] = []
    paragraph: list[str] = []
    seen_text = False

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", join_lines(paragraph)))
            paragraph.clear()

    def next_text(i: int) -> str:
        for j in range(i + 1, len(lines)):
            if lines[j]:
                return lines[j]
        return ""

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        item = _TXT_ITEM.match(line)
        if item:
            flush()
            blocks.append(Block("list_item", item.group(1)))
            seen_text = True
            continue
        if blocks and blocks[-1].kind == "list_item" and raw_lines[i][:1] in (" ", "\t"):
            # An indented line under a list item continues it.
            blocks[-1] = Block("list_item", join_lines([blocks[-1].text, line]))
            continue
        following = next_text(i)
        if not paragraph and heading_shape(line) and _starts_text(following):
            blocks.append(Block("heading", line, 2 if seen_text else 1))
            seen_text = True
            continue
        paragraph.append(line)
        seen_text = True
        if SENTENCE_END.search(line):
            flush()
    flush()
    return blocks


def load(path: Path, data: bytes) -> LoadedDocument:
    """Load a plain-text file."""
    return finish(path, parse_plain_text(decoded(data)), DocumentMeta())
