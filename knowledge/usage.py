"""The usage log under DATA_DIR: one row per question answered, and the votes on each answer.

The bot writes it, `python -m knowledge gaps|stats` and the bot's /gaps and /stats read it;
it lives here because knowledge never imports bot. It holds no user: only the chat's type.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from store.sqlite import StateDB

DB_NAME = "usage.sqlite3"
DAY = 24 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL, chat_type TEXT NOT NULL, command TEXT NOT NULL, question TEXT NOT NULL,
    abstained INTEGER NOT NULL, elapsed_ms REAL NOT NULL, answer_id INTEGER
);
CREATE INDEX IF NOT EXISTS questions_at ON questions (at);
CREATE INDEX IF NOT EXISTS questions_answer ON questions (answer_id);
CREATE TABLE IF NOT EXISTS votes (
    answer_id INTEGER PRIMARY KEY, up INTEGER NOT NULL, down INTEGER NOT NULL, at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """One question and how it went (`up`/`down`: the votes its answer received)."""

    at: float
    chat_type: str
    command: str
    question: str
    abstained: bool
    elapsed_ms: float
    up: int = 0
    down: int = 0


@dataclass(frozen=True, slots=True)
class Stats:
    """Usage over a window of days."""

    days: int
    questions: int
    abstained: int
    up: int
    down: int
    p50_ms: float
    p95_ms: float
    per_day: tuple[tuple[str, int], ...]  # (YYYY-MM-DD, questions), oldest first

    @property
    def abstention_rate(self) -> float:
        """Share of questions without a grounded answer."""
        return self.abstained / self.questions if self.questions else 0.0

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `python -m knowledge stats --json`."""
        return {
            "days": self.days,
            "questions": self.questions,
            "abstained": self.abstained,
            "abstention_rate": round(self.abstention_rate, 4),
            "up": self.up,
            "down": self.down,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "per_day": [{"date": day, "questions": n} for day, n in self.per_day],
        }


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class UsageLog:
    """Thread-safe access to the usage log; every method is one short transaction."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._state = StateDB(path, _SCHEMA)
        self._db, self._lock = self._state.db, self._state.lock

    @classmethod
    def in_data_dir(cls, data_dir: Path, clock: Callable[[], float] = time.time) -> UsageLog:
        """The usage log under DATA_DIR."""
        return cls(Path(data_dir) / DB_NAME, clock=clock)

    def close(self) -> None:
        """Close the database."""
        self._state.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._state.transaction(immediate=False)

    def record_question(
        self,
        *,
        chat_type: str,
        command: str,
        question: str,
        abstained: bool,
        elapsed_ms: float,
        answer_id: int | None = None,
    ) -> None:
        """Log one answered question."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO questions (at, chat_type, command, question, abstained, elapsed_ms,"
                " answer_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    self._clock(),
                    chat_type,
                    command,
                    question,
                    int(abstained),
                    elapsed_ms,
                    answer_id,
                ),
            )

    def record_votes(self, answer_id: int, up: int, down: int) -> None:
        """The current 👍/👎 totals of an answer."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?)",
                (answer_id, up, down, self._clock()),
            )

    def questions(self, days: int) -> list[QuestionRecord]:
        """The questions of the last `days` days, newest first, with their answers' votes."""
        since = self._clock() - days * DAY
        with self._tx() as db:
            rows = db.execute(
                "SELECT q.at, q.chat_type, q.command, q.question, q.abstained, q.elapsed_ms,"
                " COALESCE(v.up, 0), COALESCE(v.down, 0) FROM questions q"
                " LEFT JOIN votes v ON v.answer_id = q.answer_id"
                " WHERE q.at >= ? ORDER BY q.at DESC, q.id DESC",
                (since,),
            ).fetchall()
        return [QuestionRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]

    def stats(self, days: int = 7) -> Stats:
        """Questions per day, abstentions, votes and answer times over the last `days` days."""
        records = self.questions(days)
        today = datetime.fromtimestamp(self._clock(), UTC).date()
        counts: dict[str, int] = {}
        for offset in range(days - 1, -1, -1):
            counts[datetime.fromordinal(today.toordinal() - offset).date().isoformat()] = 0
        # Whole calendar days (UTC): the window starts at midnight `days - 1` days ago.
        records = [r for r in records if _day(r.at) in counts]
        for record in records:
            counts[_day(record.at)] += 1
        elapsed = [record.elapsed_ms for record in records]
        return Stats(
            days=days,
            questions=len(records),
            abstained=sum(record.abstained for record in records),
            up=sum(record.up for record in records),
            down=sum(record.down for record in records),
            p50_ms=round(percentile(elapsed, 50), 1),
            p95_ms=round(percentile(elapsed, 95), 1),
            per_day=tuple(counts.items()),
        )


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()
