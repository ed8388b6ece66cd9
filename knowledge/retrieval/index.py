"""The answering process's view of the store's live chunks, over the persistent lexical index.

Only chunks of a document's live version (per the store's registry) are visible, so a reader
never mixes an old and a new version of a document. Nothing is held per chunk: the lexical
index lives on disk (store.lexical_index) and is caught up with the registry incrementally
(store.lexical_sync), so memory and start time do not grow with the corpus.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from store.client import StoreHandle
from store.lexical_index import IndexedChunk, LexicalIndex
from store.lexical_sync import catch_up
from store.registry import LiveRecord

REFRESH_SECONDS = 5.0
# The store's counts miss a document replaced by one of the same size: look in full this often.
FULL_CHECK_SECONDS = 60.0


@dataclass(frozen=True)
class LexicalView:
    """BM25 over the live chunks of one snapshot."""

    index: LexicalIndex
    live: dict[str, str]

    @property
    def size(self) -> int:
        """How many chunks the index holds."""
        return self.index.size

    def idf(self, term: str) -> float:
        """The term's inverse document frequency (0 for unknown terms)."""
        return self.index.idf(term)

    def holds_language(self, lang: str) -> bool:
        """True when some chunk is in `lang` (an old version's, too: a hint, not a count)."""
        return self.index.count("lang", lang) > 0

    def search(
        self,
        terms: Sequence[str],
        k: int,
        weights: Sequence[float] | None = None,
        filters: dict[str, str] | None = None,
        within: Collection[str] | None = None,
        required: str | None = None,
    ) -> list[tuple[IndexedChunk, float]]:
        """Top-k live chunks with their BM25 scores (of the documents `within` and holding the
        term `required`, when given)."""
        return self.index.search(
            terms,
            k,
            weights=weights,
            filters=filters,
            within=within,
            required=required,
            accept=lambda chunk: self.live.get(chunk.source) == chunk.content_hash,
        )


@dataclass(frozen=True)
class Snapshot:
    """The store's live versions at one moment, and the lexical index over their chunks."""

    live: dict[str, str]
    lexical: LexicalView
    vendor_names: frozenset[str]
    signature: tuple[int, int]

    def is_live(self, source: str, content_hash: str) -> bool:
        """True when this is the live version of its document."""
        return self.live.get(source) == content_hash

    def terms(self, chunk_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The indexed terms of these chunks, by id."""
        return {
            chunk_id: chunk.terms
            for chunk_id, chunk in self.lexical.index.chunks(chunk_ids).items()
        }


class LiveIndex:
    """Keeps a Snapshot of the store current, catching the lexical index up when it changes."""

    def __init__(self, store: StoreHandle, lexical: LexicalIndex) -> None:
        self.store = store
        self.lexical = lexical
        # The registry as read_records() found it, with the store's signature just before.
        self._read: tuple[tuple[int, int], dict[str, str]] | None = None
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._synced_at = 0.0
        self._lock = threading.Lock()

    def _signature(self) -> tuple[int, int]:
        return (self.store.chunks.count(), self.store.registry.count())

    def read_records(self) -> dict[str, LiveRecord]:
        """The registry's records, read once for the caller and for the next snapshot, which
        then reads the registry no second time unless the store changed meanwhile."""
        signature = self._signature()
        records = self.store.registry.records()
        live = {source: record.content_hash for source, record in records.items()}
        with self._lock:
            self._read = (signature, live)
        return records

    def snapshot(self) -> Snapshot:
        """The current snapshot; the store is polled for changes at most every few seconds."""
        with self._lock:
            now = time.monotonic()
            if self._snapshot is not None and now - self._checked_at < REFRESH_SECONDS:
                return self._snapshot
            signature = self._signature()
            self._checked_at = now
            stale = now - self._synced_at >= FULL_CHECK_SECONDS
            if self._snapshot is None or self._snapshot.signature != signature or stale:
                read, self._read = self._read, None
                known = read[1] if read is not None and read[0] == signature else None
                caught = catch_up(self.store, self.lexical, known)
                self._synced_at = time.monotonic()
                live = caught.live
                self._snapshot = Snapshot(
                    live=live,
                    lexical=LexicalView(self.lexical, live),
                    vendor_names=self.lexical.vendors(),
                    signature=signature,
                )
            return self._snapshot
