"""The bot's SQLite state under DATA_DIR: conversation memory, answers, feedback, meetings."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from knowledge.api import Answer, Turn
from store.sqlite import StateDB

DB_NAME = "bot.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    chat_id INTEGER NOT NULL, user_id INTEGER NOT NULL, thread_id INTEGER NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_key ON turns (chat_id, user_id, thread_id, at);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL, user_id INTEGER NOT NULL, thread_id INTEGER NOT NULL,
    question TEXT NOT NULL, answer_json TEXT NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_key ON answers (chat_id, user_id, thread_id, id);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL, chat_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS messages (
    chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, answer_id INTEGER NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS timezones (user_id INTEGER PRIMARY KEY, tz TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meetings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL, thread_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    topic TEXT NOT NULL, meeting_at REAL NOT NULL, post_at REAL NOT NULL,
    tz TEXT NOT NULL, lang TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Whose conversation: a private chat, one user in a group, per forum topic (thread 0: none)."""

    chat_id: int
    user_id: int = 0
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer the bot sent, kept so its buttons (quotes, feedback, documents) still work."""

    id: int
    key: ConversationKey
    question: str
    answer: Answer


@dataclass(frozen=True, slots=True)
class Vote:
    """One 👍/👎 on an answer."""

    answer_id: int
    chat_id: int
    user_id: int
    vote: int
    question: str
    answer: str
    at: float


@dataclass(frozen=True, slots=True)
class Meeting:
    """A briefing to post to a chat ten minutes before a meeting (times are UTC epoch seconds)."""

    id: int
    chat_id: int
    thread_id: int
    user_id: int
    topic: str
    meeting_at: float
    post_at: float
    tz: str
    lang: str


def answer_to_json(answer: Answer) -> str:
    """Serialise an Answer for storage."""
    return json.dumps(answer.as_dict(), ensure_ascii=False)


def answer_from_json(data: str) -> Answer:
    """Rebuild an Answer stored with answer_to_json."""
    return Answer.from_dict(json.loads(data))


class BotState:
    """Thread-safe access to the bot's SQLite database; every method is one short transaction."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        # One connection shared by the event loop and worker threads, serialised by a lock:
        # every statement is tiny, and one writer avoids SQLITE_BUSY between our own threads.
        self._state = StateDB(path, _SCHEMA)
        self._db, self._lock = self._state.db, self._state.lock

    @classmethod
    def in_data_dir(cls, data_dir: Path, clock: Callable[[], float] = time.time) -> BotState:
        """The state database under DATA_DIR."""
        return cls(Path(data_dir) / DB_NAME, clock=clock)

    def close(self) -> None:
        """Close the database."""
        self._state.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._state.transaction(immediate=False)

    # Conversation memory -------------------------------------------------------------------

    def history(self, key: ConversationKey, ttl: float, limit: int = 6) -> list[Turn]:
        """The recent turns of a conversation, oldest first; turns older than `ttl` s are gone."""
        since = self._clock() - ttl
        with self._tx() as db:
            rows = db.execute(
                "SELECT question, answer FROM turns WHERE chat_id=? AND user_id=? AND thread_id=?"
                " AND at>=? ORDER BY at DESC, rowid DESC LIMIT ?",
                (key.chat_id, key.user_id, key.thread_id, since, limit),
            ).fetchall()
        return [Turn(question=q, answer=a) for q, a in reversed(rows)]

    def add_turn(self, key: ConversationKey, question: str, answer: str, ttl: float) -> None:
        """Remember one exchange, and forget this conversation's expired ones."""
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "DELETE FROM turns WHERE chat_id=? AND user_id=? AND thread_id=? AND at<?",
                (key.chat_id, key.user_id, key.thread_id, now - ttl),
            )
            db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                (key.chat_id, key.user_id, key.thread_id, question, answer, now),
            )

    def reset(self, key: ConversationKey) -> None:
        """Forget a conversation's memory."""
        with self._tx() as db:
            db.execute(
                "DELETE FROM turns WHERE chat_id=? AND user_id=? AND thread_id=?",
                (key.chat_id, key.user_id, key.thread_id),
            )

    # Answers and feedback ------------------------------------------------------------------

    def save_answer(self, key: ConversationKey, question: str, answer: Answer) -> int:
        """Store an answer the bot is about to send; its id goes into the buttons."""
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO answers (chat_id, user_id, thread_id, question, answer_json, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key.chat_id,
                    key.user_id,
                    key.thread_id,
                    question,
                    answer_to_json(answer),
                    self._clock(),
                ),
            )
            return int(cursor.lastrowid or 0)

    def get_answer(self, answer_id: int) -> StoredAnswer | None:
        """A stored answer by id."""
        with self._tx() as db:
            row = db.execute(
                "SELECT id, chat_id, user_id, thread_id, question, answer_json FROM answers"
                " WHERE id=?",
                (answer_id,),
            ).fetchone()
        return _stored(row)

    def last_answer(
        self, key: ConversationKey, *, with_sources: bool = False
    ) -> StoredAnswer | None:
        """The conversation's most recent answer (that cited sources, with `with_sources`)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, chat_id, user_id, thread_id, question, answer_json FROM answers"
                " WHERE chat_id=? AND user_id=? AND thread_id=? ORDER BY id DESC LIMIT 50",
                (key.chat_id, key.user_id, key.thread_id),
            ).fetchall()
        for row in rows:
            stored = _stored(row)
            if stored is not None and (not with_sources or stored.answer.citations):
                return stored
        return None

    def remember_message(self, chat_id: int, message_id: int, answer_id: int) -> None:
        """Note which answer a sent message shows, so a reply to it continues that answer."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO messages VALUES (?, ?, ?)", (chat_id, message_id, answer_id)
            )

    def answer_for_message(self, chat_id: int, message_id: int) -> StoredAnswer | None:
        """The answer a message of the bot showed, if it showed one."""
        with self._tx() as db:
            row = db.execute(
                "SELECT answer_id FROM messages WHERE chat_id=? AND message_id=?",
                (chat_id, message_id),
            ).fetchone()
        return self.get_answer(row[0]) if row else None

    def vote_counts(self, answer_id: int) -> tuple[int, int]:
        """(👍, 👎) an answer has received."""
        with self._tx() as db:
            row = db.execute(
                "SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) FROM feedback"
                " WHERE answer_id=?",
                (answer_id,),
            ).fetchone()
        return int(row[0]), int(row[1])

    def record_vote(self, answer_id: int, chat_id: int, user_id: int, vote: int) -> bool:
        """Store a 👍 (1) or 👎 (-1); a second vote by the same user replaces the first."""
        stored = self.get_answer(answer_id)
        if stored is None:
            return False
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    chat_id,
                    user_id,
                    vote,
                    stored.question,
                    stored.answer.text,
                    self._clock(),
                ),
            )
        return True

    def votes(self) -> list[Vote]:
        """All feedback, oldest first."""
        with self._tx() as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY at, rowid").fetchall()
        return [Vote(*row) for row in rows]

    # Time zones and meetings ---------------------------------------------------------------

    def timezone(self, user_id: int) -> str:
        """The user's IANA time zone; UTC until they set one."""
        with self._tx() as db:
            row = db.execute("SELECT tz FROM timezones WHERE user_id=?", (user_id,)).fetchone()
        return row[0] if row else "UTC"

    def set_timezone(self, user_id: int, tz: str) -> None:
        """Remember the user's time zone."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO timezones VALUES (?, ?)", (user_id, tz))

    def add_meeting(
        self,
        *,
        chat_id: int,
        thread_id: int,
        user_id: int,
        topic: str,
        meeting_at: float,
        post_at: float,
        tz: str,
        lang: str,
    ) -> Meeting:
        """Persist a scheduled briefing."""
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO meetings (chat_id, thread_id, user_id, topic, meeting_at, post_at,"
                " tz, lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (chat_id, thread_id, user_id, topic, meeting_at, post_at, tz, lang),
            )
            meeting_id = int(cursor.lastrowid or 0)
        return Meeting(
            meeting_id, chat_id, thread_id, user_id, topic, meeting_at, post_at, tz, lang
        )

    def get_meeting(self, meeting_id: int) -> Meeting | None:
        """A scheduled briefing by id."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM meetings WHERE id=?", (meeting_id,)).fetchone()
        return Meeting(*row) if row else None

    def meetings(self, chat_id: int | None = None) -> list[Meeting]:
        """Scheduled briefings, soonest first; of one chat when `chat_id` is given."""
        with self._tx() as db:
            if chat_id is None:
                rows = db.execute("SELECT * FROM meetings ORDER BY post_at, id").fetchall()
            else:
                rows = db.execute(
                    "SELECT * FROM meetings WHERE chat_id=? ORDER BY post_at, id", (chat_id,)
                ).fetchall()
        return [Meeting(*row) for row in rows]

    def remove_meeting(self, meeting_id: int) -> Meeting | None:
        """Delete a scheduled briefing (cancelled or posted); returns it if it existed."""
        meeting = self.get_meeting(meeting_id)
        if meeting is not None:
            with self._tx() as db:
                db.execute("DELETE FROM meetings WHERE id=?", (meeting_id,))
        return meeting

    # Chat migration ------------------------------------------------------------------------

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: move everything stored under its old id to the new one."""
        with self._tx() as db:
            for table in ("turns", "answers", "feedback", "meetings", "messages"):
                db.execute(
                    f"UPDATE {table} SET chat_id=? WHERE chat_id=?",
                    (new_chat_id, old_chat_id),
                )


def _stored(row: tuple | None) -> StoredAnswer | None:
    if row is None:
        return None
    answer_id, chat_id, user_id, thread_id, question, data = row
    return StoredAnswer(
        id=answer_id,
        key=ConversationKey(chat_id, user_id, thread_id),
        question=question,
        answer=answer_from_json(data),
    )
