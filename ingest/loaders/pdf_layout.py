"""A PDF's text lines with their font size and weight → paragraphs, list items and headings.

A PDF has no headings, only text drawn larger or bolder than the body. The body size is the size
most of the document's characters are drawn in; a short line drawn clearly larger is a heading,
its level given by its size's rank among the heading sizes, and a short line drawn wholly in bold
at body size (when the body is not bold) is a heading one level below those.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pypdf import PageObject

from ingest.document import Block
from ingest.loaders.text import SENTENCE_END, width
from ingest.text import collapse, join_lines, normalize

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]?\s*\d{1,4}\s*[-–—]?|(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?|第\s*\d+\s*页)$", re.I
)
_PDF_BULLET = re.compile(r"^[•●▪◦·\-–]\s*(\S.*)$")
_BOLD_NAME = re.compile(r"bold|black|heavy|demi|semibold", re.I)
# A line shorter than this share of the usual line length ends a paragraph when it also
# ends a sentence (a wrapped line in the middle of a paragraph runs to the margin).
_SHORT_LINE = 0.8
# Drawn at least this much larger than the body, a short line reads as a heading.
HEADING_SCALE = 1.15
# When more of the text than this share looks like headings, size does not mark headings here
# (slides, posters).
_MAX_HEADING_SHARE = 0.5
_MAX_LEVEL = 6
_HEADING_WIDTH = 100
_HEADING_WORDS = 16
_NO_HEADING_END = re.compile(r"[。．.!！,，;；:：、]$")
_HAS_WORD = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class PdfLine:
    """One line of a page's text layer: its text, font size in points (0: unknown), weight."""

    text: str
    size: float = 0.0
    bold: bool = False


def _scale(matrix: Sequence[float]) -> float:
    """How much a text or transformation matrix enlarges a glyph (its vertical scale)."""
    return math.hypot(matrix[2], matrix[3]) if len(matrix) >= 4 else 1.0


def _is_bold(font: object) -> bool:
    """A bold face by its name ("Helvetica-Bold") or its descriptor's weight."""
    if not isinstance(font, dict):
        return False
    if _BOLD_NAME.search(str(font.get("/BaseFont", ""))):
        return True
    try:
        descriptor = font.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else None
        weight = descriptor.get("/FontWeight", 0) if descriptor is not None else 0
        return float(weight) >= 600
    except Exception:  # a broken descriptor only costs the weight, not the text
        return False


def page_lines(page: PageObject) -> list[PdfLine]:
    """The page's text lines, each with the size most of its characters are drawn in."""
    lines: list[PdfLine] = []
    parts: list[str] = []
    sizes: Counter[float] = Counter()
    bold = [0, 0]  # characters drawn in bold, and all characters

    def end_line() -> None:
        text = "".join(parts)
        size = sizes.most_common(1)[0][0] if sizes else 0.0
        lines.append(PdfLine(text, size, bool(bold[1]) and bold[0] == bold[1]))
        parts.clear()
        sizes.clear()
        bold[:] = [0, 0]

    def visit(
        text: str, cm: Sequence[float], tm: Sequence[float], font: object, size: float
    ) -> None:
        if not text:
            return
        effective = round(float(size) * _scale(tm) * _scale(cm), 1)
        is_bold = _is_bold(font)
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                end_line()
            letters = len(piece.strip())
            if letters:
                parts.append(piece)
                sizes[effective] += letters
                bold[0] += letters if is_bold else 0
                bold[1] += letters
            elif piece:
                parts.append(piece)

    page.extract_text(visitor_text=visit)
    if parts:
        end_line()
    return [
        PdfLine(line, item.size, item.bold)
        for item in lines
        for line in normalize(item.text).split("\n")
    ]


def _heading_text(text: str) -> bool:
    """Short, one phrase, not ending like a sentence: text a heading can be ("2.1 Setup")."""
    return (
        width(text) <= _HEADING_WIDTH
        and len(text.split()) <= _HEADING_WORDS
        and not _NO_HEADING_END.search(text)
        and bool(_HAS_WORD.search(text))
        and not _PDF_BULLET.match(text)
    )


def _body_size(lines: list[PdfLine]) -> float:
    """The size that most characters are drawn in (0 when no size is known)."""
    sizes: Counter[float] = Counter()
    for line in lines:
        if line.size:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def heading_levels(lines: list[PdfLine]) -> dict[int, int]:
    """Heading level (1..6) by line index, for the lines whose font marks them as headings."""
    body = _body_size(lines)
    if not body:
        return {}
    body_bold = (
        sum(len(ln.text) for ln in lines if ln.bold and ln.size == body)
        > sum(len(ln.text) for ln in lines if ln.size == body) / 2
    )
    larger: dict[int, float] = {}
    bolder: list[int] = []
    for index, line in enumerate(lines):
        if not line.text or not _heading_text(line.text):
            continue
        if line.size >= body * HEADING_SCALE:
            larger[index] = line.size
        elif line.bold and not body_bold and abs(line.size - body) < body * 0.05:
            bolder.append(index)
    marked = sum(len(lines[index].text) for index in [*larger, *bolder])
    if marked > _MAX_HEADING_SHARE * sum(len(line.text) for line in lines):
        return {}
    ranks = {size: rank for rank, size in enumerate(sorted(set(larger.values()), reverse=True))}
    levels = {index: min(ranks[size] + 1, _MAX_LEVEL) for index, size in larger.items()}
    levels.update({index: min(len(ranks) + 1, _MAX_LEVEL) for index in bolder})
    return levels


def pdf_blocks(raw_lines: list[PdfLine]) -> list[Block]:
    """PDF text lines → headings, paragraphs and bullet items (wrapped lines re-joined)."""
    lines = [
        PdfLine(text, line.size, line.bold)
        for line in raw_lines
        if not _PAGE_NUMBER.match(text := collapse(line.text))
    ]
    levels = heading_levels(lines)
    widths = sorted(width(line.text) for line in lines if line.text)
    usual = widths[int(len(widths) * 0.9)] if widths else 0
    blocks: list[Block] = []
    current: list[str] = []
    kind = "paragraph"

    def flush() -> None:
        nonlocal kind
        if current:
            blocks.append(Block(kind, join_lines(current)))  # type: ignore[arg-type]
            current.clear()
        kind = "paragraph"

    for index, line in enumerate(lines):
        text = line.text
        if not text:
            flush()
            continue
        level = levels.get(index)
        if level is not None:
            flush()
            previous = blocks[-1] if blocks else None
            wrapped = levels.get(index - 1) == level and previous is not None
            if wrapped and previous is not None and previous.kind == "heading":
                # A heading wrapped over two lines of the same size is one heading.
                blocks[-1] = Block("heading", join_lines([previous.text, text]), level)
            else:
                blocks.append(Block("heading", text, level))
            continue
        bullet = _PDF_BULLET.match(text)
        if bullet:
            flush()
            kind = "list_item"
            current.append(bullet.group(1))
        else:
            current.append(text)
        if SENTENCE_END.search(text) and width(text) < usual * _SHORT_LINE:
            flush()
    flush()
    return blocks
