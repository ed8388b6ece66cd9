"""HTML → blocks: headings, paragraphs, list items, tables and code, without page furniture."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

from ingest.document import Block, DocumentMeta, LoadedDocument
from ingest.loaders.common import decoded, finish
from ingest.loaders.tables import row_header_block, table_block
from ingest.text import clean_code, collapse

_HTML_DROP = frozenset(
    {
        "head",
        "script",
        "style",
        "nav",
        "footer",
        "header",
        "noscript",
        "template",
        "svg",
        "iframe",
        "canvas",
        "select",
        "button",
    }
)
_HTML_INLINE = frozenset(
    "a abbr acronym b bdi bdo big cite code data del dfn em font i img ins kbd label mark nobr "
    "q s samp small span strike strong sub sup time tt u var wbr".split()
)
_HTML_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_MAX_SPAN = 50
_DECLARED_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.I)


def _plain(node: object) -> bool:
    # Comments, doctypes and CDATA are NavigableString subclasses; only plain text counts.
    return type(node) is NavigableString


def _dropped(tag: Tag) -> bool:
    """Page furniture and hidden elements, skipped while walking (cheaper than removing)."""
    return (
        tag.name in _HTML_DROP or tag.get("hidden") is not None or tag.get("aria-hidden") == "true"
    )


def _text_of(element: Tag, skip: frozenset[str] = frozenset()) -> str:
    parts: list[str] = []
    for child in element.children:
        if _plain(child):
            parts.append(str(child))
        elif isinstance(child, Tag) and child.name not in skip and not _dropped(child):
            block = child.name not in _HTML_INLINE
            if block:
                parts.append("\n")
            parts.append(_text_of(child, skip))
            if block:
                parts.append("\n")
    return "".join(parts)


def _nested_lists(element: Tag) -> Iterator[Tag]:
    for child in element.children:
        if isinstance(child, Tag):
            if child.name in ("ul", "ol"):
                yield child
            else:
                yield from _nested_lists(child)


def _span(cell: Tag, name: str) -> int:
    value = str(cell.get(name) or "1").strip()
    return min(int(value), _MAX_SPAN) if value.isdigit() and int(value) > 0 else 1


def _fill_spanned(texts: list[str], below: dict[int, tuple[str, int]]) -> None:
    """Append the cells that rows above span down into, at the columns they cover."""
    while len(texts) in below:
        text, left = below.pop(len(texts))
        if left > 1:
            below[len(texts)] = (text, left - 1)
        texts.append(text)


def _html_table(table: Tag) -> Block | None:
    """Rows under their headers: `<th>` rows on top (or in `<thead>`), else `<th>` per row."""
    grid: list[list[str]] = []
    kinds: list[tuple[bool, bool]] = []  # (all cells are <th>, the first cell is <th>)
    below: dict[int, tuple[str, int]] = {}  # column → (text of a cell spanning down, rows left)
    for row in table.find_all("tr"):
        cells = row.find_all(["th", "td"], recursive=False)
        if not cells:
            continue
        texts: list[str] = []
        for cell in cells:
            _fill_spanned(texts, below)
            text = collapse(_text_of(cell))
            rows_down = _span(cell, "rowspan")
            # A cell spanning columns or rows fills each, so values stay under their headers.
            for _ in range(_span(cell, "colspan")):
                if rows_down > 1:
                    below[len(texts)] = (text, rows_down - 1)
                texts.append(text)
        _fill_spanned(texts, below)
        grid.append(texts)
        in_head = row.find_parent("thead") is not None
        kinds.append((in_head or all(cell.name == "th" for cell in cells), cells[0].name == "th"))
    header_rows = 0
    while header_rows < len(grid) - 1 and kinds[header_rows][0]:
        header_rows += 1
    if not header_rows and len(grid) > 1 and all(first for _, first in kinds):
        return row_header_block(grid)
    return table_block(grid, header_rows)


def html_blocks(root: Tag) -> list[Block]:
    """An HTML element's content → blocks, in reading order."""
    blocks: list[Block] = []
    inline: list[str] = []

    def flush() -> None:
        text = collapse("".join(inline))
        inline.clear()
        if text:
            blocks.append(Block("paragraph", text))

    def add(kind: str, text: str, level: int = 0) -> None:
        flush()
        if text:
            blocks.append(Block(kind, text, level))  # type: ignore[arg-type]

    def walk(element: Tag) -> None:
        for child in element.children:
            if _plain(child):
                inline.append(str(child))
                continue
            if not isinstance(child, Tag) or _dropped(child):
                continue
            name = child.name
            if name in _HTML_HEADINGS:
                add("heading", collapse(_text_of(child)), _HTML_HEADINGS[name])
            elif name == "p":
                add("paragraph", collapse(_text_of(child)))
            elif name == "li":
                add("list_item", collapse(_text_of(child, frozenset({"ul", "ol"}))))
                for nested in _nested_lists(child):
                    walk(nested)
            elif name == "table":
                caption = child.find("caption")
                if caption is not None:
                    add("paragraph", collapse(_text_of(caption)))
                table = _html_table(child)
                if table is not None:
                    add("table", table.text)
            elif name == "pre":
                add("code", clean_code(child.get_text()))
            elif name == "br":
                inline.append("\n")
            elif name in _HTML_INLINE:
                inline.append(_text_of(child))
            else:
                flush()
                walk(child)
                flush()

    walk(root)
    flush()
    return blocks


def load(path: Path, data: bytes) -> LoadedDocument:
    """Load an HTML page: its <title> and the blocks of its body."""
    declared = _DECLARED_CHARSET.search(data[:4096])
    text = decoded(data, declared.group(1).decode("ascii") if declared else None)
    soup = BeautifulSoup(text, "lxml")
    title_tag = soup.find("title")
    title = collapse(title_tag.get_text()) if title_tag is not None else ""
    root = soup.find("body") or soup
    return finish(path, html_blocks(root), DocumentMeta(title=title))
