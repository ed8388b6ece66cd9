"""What every format's loader shares: decoding, the title fallback and short library errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ingest.document import Block, DocumentMeta, LoadedDocument
from ingest.errors import IngestError
from ingest.text import decode_bytes, normalize

# A loader reads one file's bytes (its path names it and gives the title fallback).
Loader = Callable[[Path, bytes], LoadedDocument]


def short_error(error: BaseException) -> str:
    """A one-line, bounded description of a library's exception."""
    lines = str(error).strip().splitlines()
    text = lines[0].strip() if lines else ""
    text = text or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def finish(path: Path, blocks: list[Block], meta: DocumentMeta) -> LoadedDocument:
    """Fill the title fallback (first H1, then the file stem) and freeze the document."""
    title = meta.title
    if not title:
        title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), "")
    if not title:
        title = path.stem
    return LoadedDocument(blocks=tuple(blocks), meta=replace(meta, title=title))


def decoded(data: bytes, declared: str | None = None) -> str:
    """Text bytes decoded and normalised; IngestError when nothing but whitespace is left."""
    text = normalize(decode_bytes(data, declared))
    if not text.strip():
        raise IngestError("empty file (only whitespace)")
    return text
