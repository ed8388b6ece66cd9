"""The one way this project keeps state in SQLite: a file under DATA_DIR, write-ahead logged, one
connection shared by the event loop and worker threads, and short transactions serialised by a
lock (every statement is tiny; one writer avoids SQLITE_BUSY between our own threads)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StateDB:
    """A SQLite database of ours with its schema applied."""

    def __init__(
        self, path: Path, schema: str, *, durable: bool = False, timeout: float = 5.0
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(
            str(path), timeout=timeout, check_same_thread=False, isolation_level=None
        )
        self.lock = threading.Lock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            if durable:  # what was committed survives a power cut, not only a crash
                self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(schema)

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction, committed on success and rolled back on any error; `immediate`
        takes the write lock at once (for read-then-write against other processes)."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        with self.lock:
            self.db.close()
