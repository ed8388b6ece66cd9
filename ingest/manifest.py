"""The ingest manifest: which file went into which store with which content hash and chunk ids.

It lives in SQLite under DATA_DIR and is keyed by store, so one manifest serves several stores.
Each document's replacement is journalled (`pending_ids`) before the store is touched, so a run
killed at any moment can be finished or undone by the next one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from store.sqlite import StateDB

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    store TEXT NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,          -- JSON list of the ids in the store now
    pending_ids TEXT,                 -- JSON list being written; NULL when settled
    pending_hash TEXT,
    alias_of TEXT,                    -- an identical file stored under another source
    updated_at REAL NOT NULL,
    PRIMARY KEY (store, source)
);
"""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """What the manifest knows about one ingested file."""

    source: str
    content_hash: str
    chunk_ids: tuple[str, ...]
    pending_ids: tuple[str, ...] | None
    pending_hash: str | None
    alias_of: str | None


class Manifest:
    """SQLite-backed record of the store's documents, for one store."""

    def __init__(self, path: Path, store: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.store = store
        self._state = StateDB(path, SCHEMA, durable=True, timeout=30)
        self._db = self._state.db

    def close(self) -> None:
        """Close the database."""
        self._state.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._state.transaction(immediate=True)

    def entries(self) -> dict[str, ManifestEntry]:
        """Every document of this store, by source."""
        rows = self._db.execute(
            "SELECT source, content_hash, chunk_ids, pending_ids, pending_hash, alias_of "
            "FROM documents WHERE store = ?",
            (self.store,),
        ).fetchall()
        return {row[0]: _entry(row) for row in rows}

    def begin_replace(self, replacements: list[tuple[str, str, list[str]]]) -> None:
        """Journal that each (source, new hash, new chunk ids) is about to be written, in one
        transaction, before the store is touched."""
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO documents (store, source, content_hash, chunk_ids, pending_ids,"
                " pending_hash, alias_of, updated_at) VALUES (?, ?, '', '[]', ?, ?, NULL, ?)"
                " ON CONFLICT (store, source) DO UPDATE SET pending_ids = excluded.pending_ids,"
                " pending_hash = excluded.pending_hash, updated_at = excluded.updated_at",
                [
                    (self.store, source, json.dumps(ids), new_hash, now)
                    for source, new_hash, ids in replacements
                ],
            )

    def commit_replace(self, sources: list[str]) -> None:
        """The store now holds exactly the pending chunks of these sources: make them current."""
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "UPDATE documents SET content_hash = pending_hash, chunk_ids = pending_ids,"
                " pending_ids = NULL, pending_hash = NULL, alias_of = NULL, updated_at = ?"
                " WHERE store = ? AND source = ? AND pending_ids IS NOT NULL",
                [(now, self.store, source) for source in sources],
            )

    def abandon_replace(self, source: str) -> None:
        """Forget a journalled replacement (its chunks were removed again); drop empty rows."""
        with self._transaction() as db:
            db.execute(
                "UPDATE documents SET pending_ids = NULL, pending_hash = NULL"
                " WHERE store = ? AND source = ?",
                (self.store, source),
            )
            db.execute(
                "DELETE FROM documents WHERE store = ? AND source = ? AND content_hash = ''"
                " AND alias_of IS NULL",
                (self.store, source),
            )

    def record_alias(self, source: str, content_hash: str, alias_of: str) -> None:
        """`source` is byte-identical to `alias_of`, whose chunks stand for both."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO documents (store, source, content_hash, chunk_ids, pending_ids,"
                " pending_hash, alias_of, updated_at) VALUES (?, ?, ?, '[]', NULL, NULL, ?, ?)"
                " ON CONFLICT (store, source) DO UPDATE SET content_hash = excluded.content_hash,"
                " chunk_ids = '[]', alias_of = excluded.alias_of, updated_at = excluded.updated_at",
                (self.store, source, content_hash, alias_of, time.time()),
            )

    def remove(self, source: str) -> None:
        """Forget `source` (its chunks are already gone from the store)."""
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE store = ? AND source = ?", (self.store, source))

    def forget_store(self) -> None:
        """Drop every entry of this store (the store was emptied or replaced)."""
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE store = ?", (self.store,))


def _entry(row: tuple[str, str, str, str | None, str | None, str | None]) -> ManifestEntry:
    source, content_hash, chunk_ids, pending_ids, pending_hash, alias_of = row
    return ManifestEntry(
        source=source,
        content_hash=content_hash,
        chunk_ids=tuple(json.loads(chunk_ids)),
        pending_ids=tuple(json.loads(pending_ids)) if pending_ids is not None else None,
        pending_hash=pending_hash,
        alias_of=alias_of,
    )
