"""A table as lines a reader can quote one at a time: each row carries its column headers.

A row quoted alone must still say what its values are, so "Firefox | ✅ | 115+" becomes
"Browser: Firefox; Support: ✅; Versions: 115+" (in Chinese "浏览器：Firefox，支持：✅"), and the
header row never stands alone as a line of its own.
"""

from __future__ import annotations

from ingest.document import Block
from store.language import detect_lang
from store.table_rows import paired_cells

# (between a header and its value, between two cells), per language; Chinese uses a comma, not
# "；", because readers end a Chinese sentence at "；".
_SEPARATORS = {"en": (": ", "; "), "zh": ("：", "，")}


def table_block(rows: list[list[str]], header_rows: int) -> Block | None:
    """The table block of cleaned cell texts whose first `header_rows` rows are headers."""
    rows = [row for row in rows if any(row)]
    if not rows:
        return None
    header_rows = min(header_rows, len(rows))
    body = rows[header_rows:]
    if not header_rows or not body:
        return Block("table", "\n".join(" | ".join(row) for row in rows))
    header = _header(rows[:header_rows])
    lang = detect_lang(" ".join(cell for row in rows for cell in row))
    lines = [line for row in body if row != rows[0] and (line := row_line(header, row, lang))]
    return Block("table", "\n".join(lines)) if lines else None


def row_header_block(rows: list[list[str]]) -> Block | None:
    """A table whose first column names each row (`<th>` per row): "name: value; value"."""
    lang = detect_lang(" ".join(cell for row in rows for cell in row))
    key_sep, cell_sep = _SEPARATORS[lang]
    lines = []
    for name, *values in (row for row in rows if any(row)):
        rest = cell_sep.join(value for value in values if value)
        lines.append(f"{name}{key_sep}{rest}" if name and rest else name or rest)
    return Block("table", "\n".join(lines)) if lines else None


def row_line(header: list[str], row: list[str], lang: str) -> str:
    """One row as "header: value" pairs, with the language's separators."""
    key_sep, cell_sep = _SEPARATORS.get(lang, _SEPARATORS["en"])
    return paired_cells(header, row, key_sep, cell_sep)


def _header(rows: list[list[str]]) -> list[str]:
    """One name per column: stacked header rows joined top to bottom, repeats dropped."""
    width = max(len(row) for row in rows)
    names = []
    for column in range(width):
        parts: list[str] = []
        for row in rows:
            cell = row[column] if column < len(row) else ""
            if cell and cell not in parts:
                parts.append(cell)
        names.append(" ".join(parts))
    return names
