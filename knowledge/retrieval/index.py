"""The in-memory view of the store's live chunks, and the lexical index built over them.

Only chunks of a document's live version (per the store's registry) are visible, so a reader
never mixes an old and a new version of a document. Term lists are cached on disk by chunk id,
so a store of 100,000 chunks re-tokenises only what changed since the last start.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from knowledge.retrieval.lexical import BM25Index
from knowledge.retrieval.text import TOKENIZER_VERSION, tokenize
from store.client import StoreHandle
from store.schema import Chunk

log = logging.getLogger(__name__)
PAGE = 5000
REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class Snapshot:
    """The live chunks at one moment, with their BM25 index and metadata columns for filters."""

    chunks: tuple[Chunk, ...]
    positions: dict[str, int]
    lexical: BM25Index
    columns: dict[str, np.ndarray]
    signature: tuple[int, int]
    terms: tuple[list[str], ...] = ()

    @cached_property
    def vendor_names(self) -> frozenset[str]:
        """The vendors the live documents are about (their canonical names)."""
        return frozenset(self.columns.get("vendor", np.array([], dtype=object)).tolist()) - {""}

    def mask(self, filters: dict[str, str] | None) -> np.ndarray | None:
        """A boolean mask of the chunks matching every filter, or None for no filter."""
        if not filters:
            return None
        mask = np.ones(len(self.chunks), dtype=bool)
        for key, value in filters.items():
            column = self.columns.get(key)
            if column is None:
                return np.zeros(len(self.chunks), dtype=bool)
            mask &= column == value
        return mask


def _index_text(chunk: Chunk) -> str:
    # Titles and section paths carry the words people search by ("voice room > metrics").
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


class TokenCache:
    """Term lists by chunk id, pickled under DATA_DIR so restarts skip tokenising known chunks."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.terms: dict[str, list[str]] = {}
        if path is not None and path.is_file():
            try:
                with path.open("rb") as handle:
                    loaded = pickle.load(handle)
                if isinstance(loaded, dict):
                    self.terms = loaded
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
                log.warning("lexical cache %s unreadable; rebuilding it", path)

    def terms_for(self, chunks: Sequence[Chunk]) -> list[list[str]]:
        """Terms of each chunk, tokenising only the unknown ones; saves when anything changed."""
        wanted = {chunk.id for chunk in chunks}
        fresh = 0
        result: list[list[str]] = []
        for chunk in chunks:
            terms = self.terms.get(chunk.id)
            if terms is None:
                terms = tokenize(_index_text(chunk))
                self.terms[chunk.id] = terms
                fresh += 1
            result.append(terms)
        stale = [chunk_id for chunk_id in self.terms if chunk_id not in wanted]
        for chunk_id in stale:
            del self.terms[chunk_id]
        if (fresh or stale) and self.path is not None:
            self._save()
        return result

    def _save(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            pickle.dump(self.terms, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(self.path)


def token_cache_path(data_dir: Path, store_key: str) -> Path:
    """Where the term cache of one store lives."""
    digest = hashlib.sha256(store_key.encode()).hexdigest()[:16]
    return data_dir / "lexical" / f"terms-{digest}-v{TOKENIZER_VERSION}.pickle"


class LiveIndex:
    """Keeps a Snapshot of the store current, reloading when the store's contents change."""

    def __init__(self, store: StoreHandle, cache: TokenCache | None = None) -> None:
        self.store = store
        self.cache = cache or TokenCache(None)
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The current snapshot; the store is polled for changes at most every few seconds."""
        with self._lock:
            now = time.monotonic()
            if self._snapshot is not None and now - self._checked_at < REFRESH_SECONDS:
                return self._snapshot
            signature = (self.store.chunks.count(), self.store.registry.count())
            self._checked_at = now
            if self._snapshot is None or self._snapshot.signature != signature:
                self._snapshot = self._load(signature)
            return self._snapshot

    def live_versions(self) -> dict[str, str]:
        """Each live source's content hash."""
        return self.store.registry.live_versions()

    def _load(self, signature: tuple[int, int]) -> Snapshot:
        started = time.monotonic()
        live = self.store.registry.live_versions()
        chunks: list[Chunk] = []
        offset = 0
        while True:
            page = self.store.chunks.get(
                include=["documents", "metadatas"], limit=PAGE, offset=offset
            )
            ids = page.get("ids") or []
            documents = page.get("documents") or []
            metadatas = page.get("metadatas") or []
            for chunk_id, text, metadata in zip(ids, documents, metadatas, strict=False):
                chunk = Chunk.from_record(chunk_id, text or "", dict(metadata or {}))
                if live.get(chunk.source) == chunk.content_hash:
                    chunks.append(chunk)
            if len(ids) < PAGE:
                break
            offset += PAGE
        chunks.sort(key=lambda chunk: (chunk.source, chunk.chunk_index))
        terms = self.cache.terms_for(chunks)
        lexical = BM25Index([], tokens=terms)
        columns = {
            key: np.array([getattr(chunk, key) for chunk in chunks], dtype=object)
            for key in ("vendor", "doc_type", "lang", "source")
        }
        log.info("loaded %d live chunks in %.2f s", len(chunks), time.monotonic() - started)
        return Snapshot(
            chunks=tuple(chunks),
            positions={chunk.id: position for position, chunk in enumerate(chunks)},
            lexical=lexical,
            columns=columns,
            signature=signature,
            terms=tuple(terms),
        )
