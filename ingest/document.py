"""What a loader hands to the chunker: a document as typed blocks plus its metadata."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table", "code"]


@dataclass(frozen=True, slots=True)
class Block:
    """One structural piece of a document, its text already cleaned."""

    kind: BlockKind
    text: str
    level: int = 0  # heading level 1..6 for headings, else 0


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """Metadata from front matter or the file itself; empty strings mean unknown."""

    title: str = ""
    doc_type: str = "other"  # guide | vendor | other
    vendor: str = ""
    aliases: str = ""  # other names of the vendor, comma-separated ("声网, Agora.io")
    lang: str = ""  # zh | en | "" (unknown: detected per chunk)
    source_url: str = ""
    as_of: str = ""  # ISO date, "YYYY-MM-DD"
    scenario: str = ""


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """A loaded file: its blocks in reading order and its metadata."""

    blocks: tuple[Block, ...]
    meta: DocumentMeta


@dataclass(frozen=True, slots=True)
class DraftChunk:
    """A chunk before it gets a source, an index and an id."""

    text: str
    section: str  # heading path joined with store.schema.SECTION_SEPARATOR
    lang: str  # "zh" | "en"
