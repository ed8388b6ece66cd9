"""The persistent lexical (BM25) index: Tantivy on disk, written by ingest, read by answering.

Each chunk is one Tantivy document keyed by its id, holding its terms (from store.tokens) and the
metadata readers filter by. Like the chunk collection, the index may briefly hold chunks of a
document's old and new versions; a reader shows only the version its view of the store's registry
calls live, so a document is wholly old or wholly new in the vectors and the index alike.

Beside it, a small SQLite table records which version of each document the index holds in full.
It is written only after Tantivy's commit, so a version it names is always complete; a version it
lacks (a process killed in between) is simply fetched again by the catch-up (store.lexical_sync).
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import tantivy

from config.settings import Settings
from store.client import locate_store
from store.schema import Chunk
from store.tokens import TOKENIZER_VERSION, tokenize

SCHEMA_VERSION = 1
WRITER_HEAP_BYTES = 50_000_000
LOCK_WAIT_SECONDS = 300.0
FILTER_KEYS = ("vendor", "doc_type", "lang", "source")
_META_FIELDS = ("id", "source", "content_hash", "vendor", "doc_type", "lang")


class LexicalIndexBusy(Exception):
    """Another process held the index's write lock for longer than we wait."""


@dataclass(frozen=True, slots=True)
class IndexedChunk:
    """What the index knows of one chunk: its id, version, filter metadata and terms."""

    id: str
    source: str
    content_hash: str
    vendor: str
    doc_type: str
    lang: str
    terms: tuple[str, ...]


def index_text(chunk: Chunk) -> str:
    """The text a chunk is found by: titles and section paths carry the words people search by."""
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


def index_dir(settings: Settings, store_dir: Path | None = None) -> Path:
    """Where the lexical index of one store (embedded or served) lives under DATA_DIR."""
    digest = hashlib.sha256(locate_store(settings, store_dir).key.encode()).hexdigest()[:16]
    return (
        settings.data_dir / "lexical" / f"tantivy-{digest}-s{SCHEMA_VERSION}-t{TOKENIZER_VERSION}"
    )


def open_lexical_index(settings: Settings, store_dir: Path | None = None) -> LexicalIndex:
    """This process's lexical index of the configured store (created empty if missing)."""
    return LexicalIndex(index_dir(settings, store_dir))


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in _META_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    # Terms are cut by store.tokens already; whitespace splitting restores exactly that list.
    builder.add_text_field("terms", stored=True, tokenizer_name="whitespace", index_option="freq")
    return builder.build()


class LexicalIndex:
    """One store's lexical index on disk; safe to share between threads and processes."""

    def __init__(self, path: Path, tokenizer: Callable[[str], list[str]] = tokenize) -> None:
        self.path = path
        self.tokenizer = tokenizer
        (path / "tantivy").mkdir(parents=True, exist_ok=True)
        self._schema = _schema()
        self._index = tantivy.Index(self._schema, path=str(path / "tantivy"), reuse=True)
        self._index.config_reader(reload_policy="manual")
        self._versions = sqlite3.connect(path / "versions.sqlite3", check_same_thread=False)
        self._versions.execute("PRAGMA journal_mode=WAL")
        self._versions.execute("PRAGMA busy_timeout=30000")
        self._versions.execute(
            "CREATE TABLE IF NOT EXISTS versions (source TEXT PRIMARY KEY, content_hash TEXT "
            "NOT NULL, vendor TEXT NOT NULL DEFAULT '', chunks INTEGER NOT NULL DEFAULT 0)"
        )
        self._versions.commit()
        self._lock = threading.RLock()

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        """One writer at a time across processes (Tantivy allows one); committed on success."""
        with self._lock, _file_lock(self.path / "write.lock"):
            writer = self._index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()  # releases Tantivy's own writer lock
            self._index.reload()

    def upsert(self, chunks: Sequence[Chunk]) -> None:
        """Write chunks (replacing any with the same id) in one commit."""
        if not chunks:
            return
        with self._writer() as writer:
            for chunk in chunks:
                writer.delete_documents_by_term("id", chunk.id)
                writer.add_document(self._document(chunk))

    def _document(self, chunk: Chunk) -> tantivy.Document:
        return tantivy.Document(
            id=chunk.id,
            source=chunk.source,
            content_hash=chunk.content_hash,
            vendor=chunk.vendor,
            doc_type=chunk.doc_type,
            lang=chunk.lang,
            terms=" ".join(self.tokenizer(index_text(chunk))),
        )

    def delete(self, chunk_ids: Iterable[str]) -> None:
        """Remove chunks by id."""
        ids = list(chunk_ids)
        if not ids:
            return
        with self._writer() as writer:
            for chunk_id in ids:
                writer.delete_documents_by_term("id", chunk_id)

    def publish(
        self,
        versions: Sequence[tuple[str, str]],
        stale_ids: Iterable[str] = (),
        counts: dict[str, int] | None = None,
    ) -> None:
        """Record that the index holds `versions` (source, content hash) in full, dropping the
        chunks of their other versions and `stale_ids`. Call once the chunks are upserted; with
        `counts` (chunks per source), a version found short is not recorded, so the next
        catch-up fetches it again."""
        if not versions:
            return
        stale = list(stale_ids)
        with self._writer() as writer:
            for chunk_id in stale:
                writer.delete_documents_by_term("id", chunk_id)
            for source, digest in versions:
                writer.delete_documents_by_query(self._other_versions(source, digest))
        self._record(versions, counts)

    def _other_versions(self, source: str, digest: str) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._term("source", source)),
                (tantivy.Occur.MustNot, self._term("content_hash", digest)),
            ]
        )

    def _record(self, versions: Sequence[tuple[str, str]], counts: dict[str, int] | None) -> None:
        searcher = self._index.searcher()
        rows = []
        short = []
        for source, digest in versions:
            query = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, self._term("source", source)),
                    (tantivy.Occur.Must, self._term("content_hash", digest)),
                ]
            )
            hits = searcher.search(query, 1, count=True)
            vendor = ""
            if hits.hits:
                vendor = str(searcher.doc(hits.hits[0][1]).get_first("vendor") or "")
            held = int(hits.count or 0)
            if counts is not None and counts.get(source, held) != held:
                # Another writer dropped some of them meanwhile: let the catch-up refetch.
                short.append((source,))
                continue
            rows.append((source, digest, vendor, held))
        with self._lock, self._versions:
            self._versions.executemany("DELETE FROM versions WHERE source = ?", short)
            self._versions.executemany(
                "INSERT INTO versions (source, content_hash, vendor, chunks) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET content_hash = excluded.content_hash, "
                "vendor = excluded.vendor, chunks = excluded.chunks",
                rows,
            )

    def withdraw(self, sources: Iterable[str]) -> None:
        """Remove every chunk of these documents, and their version records."""
        names = list(sources)
        if not names:
            return
        with self._lock, self._versions:
            # The record goes first: a version the index names must be there in full.
            self._versions.executemany(
                "DELETE FROM versions WHERE source = ?", [(name,) for name in names]
            )
        with self._writer() as writer:
            for name in names:
                writer.delete_documents_by_term("source", name)

    def forget(self, sources: Iterable[str]) -> None:
        """Drop the version records of these documents (their chunks get fetched again)."""
        with self._lock, self._versions:
            self._versions.executemany(
                "DELETE FROM versions WHERE source = ?", [(name,) for name in sources]
            )

    # --- reading -------------------------------------------------------------------------------

    def versions(self) -> dict[str, str]:
        """Each document the index holds in full, and the version it holds."""
        with self._lock:
            rows = self._versions.execute("SELECT source, content_hash FROM versions").fetchall()
        return dict(rows)

    def vendors(self) -> frozenset[str]:
        """The vendors of the documents the index holds."""
        with self._lock:
            rows = self._versions.execute("SELECT DISTINCT vendor FROM versions").fetchall()
        return frozenset(str(vendor) for (vendor,) in rows) - {""}

    def refresh(self) -> None:
        """See what other processes committed since the last refresh."""
        with self._lock:
            self._index.reload()

    @property
    def size(self) -> int:
        """How many chunks the index holds (every version)."""
        return int(self._index.searcher().num_docs)

    def count(self, field: str, value: str) -> int:
        """How many chunks (of every version) have this value of a metadata field ("lang")."""
        return int(self._index.searcher().doc_freq(field, value))

    def idf(self, term: str) -> float:
        """The term's BM25 inverse document frequency (0 for a term no chunk has)."""
        searcher = self._index.searcher()
        df = int(searcher.doc_freq("terms", term))
        if not df:
            return 0.0
        return math.log(1 + (searcher.num_docs - df + 0.5) / (df + 0.5))

    def search(
        self,
        terms: Sequence[str],
        k: int,
        *,
        weights: Sequence[float] | None = None,
        filters: dict[str, str] | None = None,
        within: Collection[str] | None = None,
        required: str | None = None,
        accept: Callable[[IndexedChunk], bool] | None = None,
    ) -> list[tuple[IndexedChunk, float]]:
        """The k best chunks by BM25 (each term's weight multiplies its score), among those
        matching `filters`, of the documents `within` (all when None), holding the term
        `required` (when given) and accepted by `accept` (e.g. only a document's live version)."""
        weighted: dict[str, float] = {}
        for position, term in enumerate(terms):
            weight = weights[position] if weights is not None else 1.0
            weighted[term] = weighted.get(term, 0.0) + weight
        if not weighted or k <= 0:
            return []
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.boost_query(self._term("terms", t), w))
                for t, w in weighted.items()
            ]
        )
        if filters or within is not None or required:
            clauses = [(tantivy.Occur.Must, query)]
            if required:
                clauses.append((tantivy.Occur.Must, self._term("terms", required)))
            for key, value in (filters or {}).items():
                if key not in FILTER_KEYS:
                    return []
                clauses.append((tantivy.Occur.Must, self._term(key, value)))
            if within is not None:
                sources = tantivy.Query.term_set_query(self._schema, "source", sorted(within))
                clauses.append((tantivy.Occur.Must, sources))
            query = tantivy.Query.boolean_query(clauses)
        searcher = self._index.searcher()
        limit = max(k * 2, 20)
        while True:
            hits = searcher.search(query, limit, count=False).hits
            found: list[tuple[IndexedChunk, float]] = []
            for score, address in hits:
                chunk = _indexed(searcher.doc(address))
                if accept is None or accept(chunk):
                    found.append((chunk, float(score)))
                    if len(found) == k:
                        return found
            if len(hits) < limit:
                return found
            limit *= 4  # old versions crowded the top: look further

    def versions_using(self, term: str, limit: int) -> set[tuple[str, str]] | None:
        """The document versions (source, content hash) with a chunk holding `term`; None when
        more than `limit` chunks hold it (a common word says nothing about where to look)."""
        searcher = self._index.searcher()
        query = self._term("terms", term)
        hits = searcher.search(query, limit + 1, count=False).hits
        if len(hits) > limit:
            return None
        found: set[tuple[str, str]] = set()
        for _, address in hits:
            document = searcher.doc(address)
            found.add((str(document.get_first("source")), str(document.get_first("content_hash"))))
        return found

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, IndexedChunk]:
        """What the index holds of these chunks, by id (absent ids are left out)."""
        if not chunk_ids:
            return {}
        searcher = self._index.searcher()
        query = tantivy.Query.term_set_query(self._schema, "id", list(chunk_ids))
        hits = searcher.search(query, len(chunk_ids) * 2, count=False).hits
        found = {}
        for _, address in hits:
            chunk = _indexed(searcher.doc(address))
            found[chunk.id] = chunk
        return found

    def version_ids(self, source: str, content_hash: str) -> set[str]:
        """The ids of the chunks the index holds for one version of a document."""
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._term("source", source)),
                (tantivy.Occur.Must, self._term("content_hash", content_hash)),
            ]
        )
        searcher = self._index.searcher()
        total = int(searcher.search(query, 1, count=True).count or 0)
        if not total:
            return set()
        hits = searcher.search(query, total, count=False).hits
        return {_indexed(searcher.doc(address)).id for _, address in hits}

    def _term(self, field: str, value: str) -> tantivy.Query:
        # Term frequencies count for the terms field's BM25; the others only match.
        option = "freq" if field == "terms" else "basic"
        return tantivy.Query.term_query(self._schema, field, value, index_option=option)

    def close(self) -> None:
        """Release the version table (the Tantivy index needs no closing)."""
        with self._lock:
            self._versions.close()


def _indexed(document: tantivy.Document) -> IndexedChunk:
    def first(name: str) -> str:
        value = document.get_first(name)
        return "" if value is None else str(value)

    return IndexedChunk(
        id=first("id"),
        source=first("source"),
        content_hash=first("content_hash"),
        vendor=first("vendor"),
        doc_type=first("doc_type"),
        lang=first("lang"),
        terms=tuple(first("terms").split()),
    )


@contextmanager
def _file_lock(path: Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """An exclusive lock file; the OS releases it if the holder dies, even by kill -9."""
    handle = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LexicalIndexBusy(
                        f"the lexical index {path.parent} stayed locked by another process"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(handle)
