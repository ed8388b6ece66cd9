"""PDF → blocks: the text layer as paragraphs, with headings found by font size and weight."""

from __future__ import annotations

import io
import logging
import re
import warnings
from pathlib import Path

from pypdf import PageObject, PasswordType, PdfReader

from ingest.document import DocumentMeta, LoadedDocument
from ingest.errors import IngestError
from ingest.loaders.common import finish, short_error
from ingest.loaders.pdf_layout import PdfLine, page_lines, pdf_blocks
from ingest.text import collapse, normalize

# pypdf logs a warning for every oddity of a malformed file; the user sees our one-line
# error instead, so keep its logger quiet.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_JUNK_TITLES = frozenset({"untitled", "anonymous", "unknown", "unspecified", "title"})


def _pdf_title(reader: PdfReader) -> str:
    try:
        raw = reader.metadata.title if reader.metadata is not None else None
    except Exception:  # broken info dictionaries are common and harmless
        return ""
    title = collapse(normalize(str(raw))) if raw else ""
    title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title)
    return "" if title.lower() in _JUNK_TITLES else title


def load(path: Path, data: bytes) -> LoadedDocument:
    """Load a PDF's text layer; IngestError for encrypted, corrupt or scanned files."""
    if b"%PDF-" not in data[:1024]:
        raise IngestError("not a PDF (no %PDF header)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader, pages = _open_pdf(data)
        lines: list[PdfLine] = []
        failed = 0
        for page in pages:
            try:
                lines.extend(page_lines(page))
            except Exception:  # one unreadable page should not cost the others
                failed += 1
        title = _pdf_title(reader)
    blocks = pdf_blocks(lines)
    if not blocks:
        if failed == len(pages):
            raise IngestError("corrupt PDF: no page could be read")
        noun = "page" if len(pages) == 1 else "pages"
        raise IngestError(
            f"no text layer (scanned PDF?): {len(pages)} {noun} without extractable text"
        )
    return finish(path, blocks, DocumentMeta(title=title))


def _open_pdf(data: bytes) -> tuple[PdfReader, list[PageObject]]:
    # pypdf raises many exception types on malformed input; all of them mean "corrupt".
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as error:
        raise IngestError(f"corrupt PDF: {short_error(error)}") from None
    if encrypted:
        try:
            unlocked = reader.decrypt("")  # many PDFs only restrict printing or copying
        except Exception as error:
            raise IngestError(f"encrypted PDF: cannot decrypt ({short_error(error)})") from None
        if unlocked == PasswordType.NOT_DECRYPTED:
            raise IngestError("encrypted PDF: a password is needed to open it")
    try:
        pages = list(reader.pages)
    except Exception as error:
        raise IngestError(f"corrupt PDF: {short_error(error)}") from None
    if not pages:
        raise IngestError("corrupt PDF: no pages")
    return reader, pages
