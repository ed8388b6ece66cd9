"""DOCX → blocks: Word's heading and list styles, paragraphs and tables in document order."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.document import Block, DocumentMeta, LoadedDocument
from ingest.errors import IngestError
from ingest.loaders.common import finish, short_error
from ingest.loaders.tables import table_block
from ingest.text import collapse, normalize

_DOCX_HEADING = re.compile(r"^Heading ([1-9])$")


def _docx_table(table: Table) -> Block | None:
    """Rows under the first row's headers; a merged cell counts under the first column it spans."""
    grid: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell is repeated once per grid column it spans: keep the columns aligned.
            cells.append("" if cell._tc is previous else collapse(normalize(cell.text)))
            previous = cell._tc
        grid.append(cells)
    return table_block(grid, header_rows=1)


def _docx_paragraph(paragraph: Paragraph) -> Block | None:
    text = collapse(normalize(paragraph.text))
    if not text:
        return None
    style = paragraph.style.name if paragraph.style is not None else ""
    style = style or ""
    if style == "Title":
        return Block("heading", text, 1)
    heading = _DOCX_HEADING.match(style)
    if heading:
        return Block("heading", text, min(int(heading.group(1)), 6))
    properties = paragraph._p.pPr
    if style.startswith("List") or (properties is not None and properties.numPr is not None):
        return Block("list_item", text)
    return Block("paragraph", text)


def load(path: Path, data: bytes) -> LoadedDocument:
    """Load a Word document: title, headings by style, lists, paragraphs and tables."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError("not a DOCX: an old Word .doc file; save it as .docx")
    if not data.startswith(b"PK"):
        raise IngestError("corrupt DOCX: not a zip archive")
    blocks: list[Block] = []
    title = ""
    # python-docx raises zip, XML and key errors on damaged packages; all mean "corrupt".
    try:
        document = docx.Document(io.BytesIO(data))
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                table = _docx_table(item)
                if table is not None:
                    blocks.append(table)
                continue
            block = _docx_paragraph(item)
            if block is None:
                continue
            if not title and item.style is not None and item.style.name == "Title":
                title = block.text
            blocks.append(block)
        title = collapse(normalize(document.core_properties.title or "")) or title
    except Exception as error:
        raise IngestError(f"corrupt DOCX: {short_error(error)}") from None
    return finish(path, blocks, DocumentMeta(title=title))
