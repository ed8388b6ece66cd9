"""The vendors the store's documents name, learned from the chunks' metadata and merged with the
bundled seed aliases (声网 → Agora) into the VendorBook briefings and comparisons resolve names
with, so a vendor only the user's documents know can be briefed and compared.

One metadata-only query of the vendor chunks (no texts, no vectors), repeated only when the
store changed: a bot answering questions never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from knowledge.api import VendorSummary
from knowledge.domain.topics import Vendor, VendorBook, merge_vendors
from knowledge.retrieval.index import LiveIndex, Snapshot
from store.schema import Chunk, chunks_from_page

PAGE = 5000


@dataclass
class _Tally:
    aliases: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    chunks: int = 0
    langs: set[str] = field(default_factory=set)
    as_of: str = ""


@dataclass(frozen=True)
class _Catalog:
    signature: tuple[int, int]
    live: dict[str, str]
    book: VendorBook
    summaries: tuple[VendorSummary, ...]


class StoreVendors:
    """The seed vendor book merged with the store's vendors, kept in step with the store."""

    def __init__(self, index: LiveIndex, seed: VendorBook) -> None:
        self.index = index
        self.seed = seed
        self._catalog: _Catalog | None = None
        self._lock = threading.Lock()

    def book(self) -> VendorBook:
        """Every vendor a name can resolve to: the seed's and the store's."""
        return self._current().book

    def summaries(self) -> list[VendorSummary]:
        """The vendors with documents in the store, by name."""
        return list(self._current().summaries)

    def _current(self) -> _Catalog:
        snapshot = self.index.snapshot()
        with self._lock:
            catalog = self._catalog
            if (
                catalog is None
                or catalog.signature != snapshot.signature
                or catalog.live is not snapshot.live
            ):
                catalog = self._catalog = self._read(snapshot)
            return catalog

    def _read(self, snapshot: Snapshot) -> _Catalog:
        tallies: dict[str, _Tally] = {}
        for metadata in self._vendor_metadata():
            source = str(metadata.get("source", ""))
            if not snapshot.is_live(source, str(metadata.get("content_hash", ""))):
                continue
            tally = tallies.setdefault(str(metadata["vendor"]), _Tally())
            for alias in str(metadata.get("aliases") or "").split(","):
                if alias.strip() and alias.strip() not in tally.aliases:
                    tally.aliases.append(alias.strip())
            tally.sources.add(source)
            tally.chunks += 1
            tally.langs.add(str(metadata.get("lang") or ""))
            tally.as_of = max(tally.as_of, str(metadata.get("as_of") or ""))
        found = [Vendor(label, tuple(t.aliases)) for label, t in sorted(tallies.items())]
        book = merge_vendors(self.seed, found)
        summaries = []
        for vendor in book.vendors:
            own = [tallies[label] for label in vendor.store_names if label in tallies]
            if not own:
                continue
            summaries.append(
                VendorSummary(
                    name=vendor.name,
                    aliases=vendor.aliases,
                    documents=len(set().union(*(t.sources for t in own))),
                    chunks=sum(t.chunks for t in own),
                    langs=tuple(sorted(set().union(*(t.langs for t in own)) - {""})),
                    as_of=max(t.as_of for t in own),
                )
            )
        summaries.sort(key=lambda summary: summary.name.casefold())
        return _Catalog(snapshot.signature, snapshot.live, book, tuple(summaries))

    def _vendor_metadata(self) -> Iterator[dict[str, object]]:
        """The metadata of every chunk that names a vendor, page by page."""
        collection = self.index.store.chunks
        offset = 0
        while True:
            page = collection.get(
                where={"vendor": {"$ne": ""}}, include=["metadatas"], limit=PAGE, offset=offset
            )
            metadatas = page.get("metadatas") or []
            for metadata in metadatas:
                if metadata and metadata.get("vendor"):
                    yield dict(metadata)
            if len(page.get("ids") or []) < PAGE:
                return
            offset += PAGE


def vendor_chunks(index: LiveIndex, labels: Sequence[str], limit: int) -> list[Chunk] | None:
    """The live chunks of the vendor documents marked with `labels`, in document order; None
    when there are more than `limit` (read those through retrieval instead)."""
    if not labels:
        return []
    snapshot = index.snapshot()
    page = index.store.chunks.get(
        where={"$and": [{"vendor": {"$in": list(labels)}}, {"doc_type": "vendor"}]},
        include=["documents", "metadatas"],
        limit=limit * 2 + 1,  # old versions of a document may still be there, unseen
    )
    chunks = chunks_from_page(page)
    live = [chunk for chunk in chunks if snapshot.is_live(chunk.source, chunk.content_hash)]
    if len(live) > limit or len(chunks) > limit * 2:
        return None
    return sorted(live, key=lambda chunk: (chunk.source, chunk.chunk_index))
