"""The store schema: the one place that says what a chunk in the Chroma collection looks like."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DOC_TYPES: tuple[str, ...] = ("guide", "vendor", "other")
SECTION_SEPARATOR = " > "


def chunk_id(source: str, chunk_index: int, text: str) -> str:
    """A stable id: the same source, position and text always give the same id."""
    digest = hashlib.sha256()
    for part in (source, str(chunk_index), text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def content_hash(data: bytes) -> str:
    """The hash of a file's bytes that decides whether it changed since the last ingest."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrievable piece of a document, with the metadata citations are built from."""

    text: str
    source: str
    chunk_index: int
    title: str = ""
    section: str = ""
    doc_type: str = "other"
    vendor: str = ""
    lang: str = "en"
    as_of: str = ""
    source_url: str = ""
    content_hash: str = ""
    id: str = field(default="")
    aliases: str = ""  # the vendor's other names, comma-separated

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", chunk_id(self.source, self.chunk_index, self.text))

    def metadata(self) -> dict[str, str | int]:
        """The Chroma metadata for this chunk (Chroma values are str/int/float/bool, never None)."""
        return {
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "doc_type": self.doc_type,
            "vendor": self.vendor,
            "aliases": self.aliases,
            "lang": self.lang,
            "as_of": self.as_of,
            "source_url": self.source_url,
            "content_hash": self.content_hash,
            "chunk_index": self.chunk_index,
        }

    @classmethod
    def from_record(cls, chunk_id_: str, text: str, metadata: dict[str, object]) -> Chunk:
        """Rebuild a chunk from what Chroma returns."""

        def text_of(key: str) -> str:
            value = metadata.get(key)
            return "" if value is None else str(value)

        raw_index = metadata.get("chunk_index", 0)
        return cls(
            text=text,
            source=text_of("source"),
            chunk_index=int(raw_index) if isinstance(raw_index, int | float | str) else 0,
            title=text_of("title"),
            section=text_of("section"),
            doc_type=text_of("doc_type") or "other",
            vendor=text_of("vendor"),
            aliases=text_of("aliases"),
            lang=text_of("lang") or "en",
            as_of=text_of("as_of"),
            source_url=text_of("source_url"),
            content_hash=text_of("content_hash"),
            id=chunk_id_,
        )


def chunks_from_page(page: Mapping[str, Any]) -> list[Chunk]:
    """The chunks of one Chroma `get` result (ids, documents and metadatas side by side)."""
    return [
        Chunk.from_record(chunk_id, text or "", dict(metadata or {}))
        for chunk_id, text, metadata in zip(
            page.get("ids") or [],
            page.get("documents") or [],
            page.get("metadatas") or [],
            strict=False,
        )
    ]


def registry_name(collection_name: str) -> str:
    """The companion collection listing each document's current content hash.

    Readers show a chunk only when its `content_hash` is its document's current one. Switching a
    document to a new version is then one write of one record, so a reader never sees an old and
    a new version mixed, even when a writer dies half-way.
    """
    return f"{collection_name}__documents"
