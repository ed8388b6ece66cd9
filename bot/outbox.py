"""The durable queue under DATA_DIR: questions received and replies not yet delivered.

Two small SQLite tables survive a crash or an outage:
- `inbox`: a routed question, from the moment it arrives until its reply is queued (the same
  transaction removes it), so a question the process died on is answered after a restart;
- `outbox`: a rendered reply, from the moment it is ready until Telegram accepted every part,
  so a reply that meets an outage is delivered when Telegram answers again.
The guarantee this gives is described in docs/bot.md ("Delivery").
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from store.sqlite import StateDB

DB_NAME = "queue.sqlite3"
# A reply older than this is no longer worth sending: the asker has moved on.
MAX_AGE_SECONDS = 15 * 60
# A question whose handling crashed the process this many times is not tried again.
MAX_REPLAYS = 2
# Update ids remembered to refuse a second copy; a re-delivery only ever concerns recent ones.
SEEN_KEPT = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    update_id INTEGER PRIMARY KEY, payload TEXT NOT NULL, at REAL NOT NULL,
    replays INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL, thread_id INTEGER, reply_to INTEGER,
    parts_json TEXT NOT NULL, keyboard_json TEXT, answer_id INTEGER,
    sent_parts INTEGER NOT NULL DEFAULT 0, at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply waiting for delivery: where it goes, its HTML parts and the last part's buttons."""

    id: int
    chat_id: int
    thread_id: int | None
    reply_to: int | None
    parts: tuple[str, ...]
    keyboard_json: str | None
    answer_id: int | None
    sent_parts: int
    at: float


@dataclass(frozen=True, slots=True)
class Received:
    """A question that arrived and has no queued reply yet (the update as Telegram sent it)."""

    update_id: int
    payload: str
    at: float


class DeliveryQueue:
    """The inbox and outbox; every method is one short transaction, safe from any thread."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._state = StateDB(path, _SCHEMA, durable=True)
        self._db, self._lock = self._state.db, self._state.lock
        # Updates taken in this process run: Telegram may hand an update out again after a
        # restart, while the inbox replays it too; only the first of them is answered.
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()

    @classmethod
    def in_data_dir(cls, data_dir: Path, clock: Callable[[], float] = time.time) -> DeliveryQueue:
        """The queue database under DATA_DIR."""
        return cls(Path(data_dir) / DB_NAME, clock=clock)

    def close(self) -> None:
        """Close the database."""
        self._state.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._state.transaction(immediate=True)

    # Inbox -----------------------------------------------------------------------------------

    def received(self, update_id: int, payload: str) -> bool:
        """Note a question; False when this process run already took this update."""
        if update_id in self._seen:
            return False
        self._seen.add(update_id)
        self._seen_order.append(update_id)
        if len(self._seen_order) > SEEN_KEPT:
            self._seen.discard(self._seen_order.popleft())
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO inbox (update_id, payload, at) VALUES (?, ?, ?)",
                (update_id, payload, self._clock()),
            )
        return True

    def answered(self, update_id: int) -> None:
        """The question needs nothing more (its reply is queued, or it got none)."""
        with self._tx() as db:
            db.execute("DELETE FROM inbox WHERE update_id=?", (update_id,))

    def unanswered(self, max_age: float = MAX_AGE_SECONDS) -> tuple[list[Received], int]:
        """Questions a previous run left unanswered, oldest first, each counted as replayed;
        and how many were dropped (too old, or replayed too often)."""
        oldest = self._clock() - max_age
        with self._tx() as db:
            dropped = db.execute(
                "DELETE FROM inbox WHERE at<? OR replays>=?", (oldest, MAX_REPLAYS)
            ).rowcount
            db.execute("UPDATE inbox SET replays=replays+1")
            rows = db.execute(
                "SELECT update_id, payload, at FROM inbox ORDER BY update_id"
            ).fetchall()
        return [Received(*row) for row in rows], dropped

    # Outbox ----------------------------------------------------------------------------------

    def enqueue(
        self,
        *,
        chat_id: int,
        thread_id: int | None,
        reply_to: int | None,
        parts: Sequence[str],
        keyboard_json: str | None = None,
        answer_id: int | None = None,
        update_id: int | None = None,
    ) -> Outgoing:
        """Queue a reply; when it answers `update_id`, that question leaves the inbox in the
        same transaction (so a crash can neither lose it nor answer it twice)."""
        now = self._clock()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO outbox (chat_id, thread_id, reply_to, parts_json, keyboard_json,"
                " answer_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    chat_id,
                    thread_id,
                    reply_to,
                    json.dumps(list(parts), ensure_ascii=False),
                    keyboard_json,
                    answer_id,
                    now,
                ),
            )
            if update_id is not None:
                db.execute("DELETE FROM inbox WHERE update_id=?", (update_id,))
            item_id = int(cursor.lastrowid or 0)
        return Outgoing(
            item_id, chat_id, thread_id, reply_to, tuple(parts), keyboard_json, answer_id, 0, now
        )

    def part_sent(self, item: Outgoing, sent_parts: int) -> None:
        """Telegram accepted the first `sent_parts` parts; the reply is gone when all are."""
        with self._tx() as db:
            if sent_parts >= len(item.parts):
                db.execute("DELETE FROM outbox WHERE id=?", (item.id,))
            else:
                db.execute("UPDATE outbox SET sent_parts=? WHERE id=?", (sent_parts, item.id))

    def remove(self, item_id: int) -> None:
        """Forget a reply (delivered, undeliverable, or too old)."""
        with self._tx() as db:
            db.execute("DELETE FROM outbox WHERE id=?", (item_id,))

    def pending(self) -> list[Outgoing]:
        """Replies not yet delivered, in the order they were queued."""
        with self._tx() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM outbox ORDER BY id").fetchall()
        return [_outgoing(row) for row in rows]

    def get(self, item_id: int) -> Outgoing | None:
        """A reply still undelivered, as it stands now; None once it is gone."""
        with self._tx() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id=?", (item_id,)).fetchone()
        return _outgoing(row) if row else None

    def waiting_before(self, item: Outgoing) -> bool:
        """True when an older reply to the same chat is still undelivered (order must hold)."""
        with self._tx() as db:
            row = db.execute(
                "SELECT 1 FROM outbox WHERE chat_id=? AND id<? LIMIT 1", (item.chat_id, item.id)
            ).fetchone()
        return row is not None


_COLUMNS = "id, chat_id, thread_id, reply_to, parts_json, keyboard_json, answer_id, sent_parts, at"


def _outgoing(row: tuple) -> Outgoing:
    return Outgoing(
        row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6], row[7], row[8]
    )
