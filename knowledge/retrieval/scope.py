"""Where in the store a question's named thing lives: the documents that name it, and the folders
those documents gather in.

A product's own documentation set names the product on most of its pages and almost nowhere
else; its other pages (troubleshooting, a configuration reference) belong to it as well, though
they never repeat the name. So a question that names a product ("StreamBox 录制时崩溃会丢多少？")
is looked for in that set first, in either language, instead of in whichever pages share the
question's language. A name used across the whole store (a protocol, a tool every set mentions)
gathers nowhere and scopes nothing."""

from __future__ import annotations

import posixpath
import re
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping

# Nearly every document naming the thing lies in the folder...
CONCENTRATION = 0.9
# ...and names it on a fair share of the folder's pages (a folder of vendor profiles that each
# mention a rival once is not that rival's documentation).
COVERAGE = 0.3
MIN_FOLDER_DOCUMENTS = 3
# A name held by more chunks than this is too common to tell where to look (and reading where it
# occurs would cost more than it tells).
LOOKUP_LIMIT = 10_000
# A scope that spans most of the store narrows nothing.
NARROW_SHARE = 0.6

# A Latin word as a question types it ("WebRTC", "H.265", "jitter_buffer", "self-hosted").
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._\-][A-Za-z0-9]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?。！？]\s*)$")

VersionsUsing = Callable[[str, int], "set[tuple[str, str]] | None"]


def named_forms(query: str) -> list[str]:
    """The Latin words of a query that look like names, as typed: a word with a capital past its
    first letter, a digit, a dot or an underscore ("StreamBox", "RTC", "H.265", "jitter_buffer"), a
    capitalised word inside a sentence ("Quux"), or any Latin word of a Chinese question.
    Ordinary words ("behind", "third") say what is asked, not where to look."""
    latin = sum(len(match.group(0)) for match in LATIN_WORD.finditer(query))
    mostly_han = latin < 0.5 * len(re.sub(r"\s", "", query))
    forms: list[str] = []
    for match in LATIN_WORD.finditer(query):
        form = match.group(0)
        inner = form[1:]
        if (
            mostly_han
            or any(ch.isupper() or ch.isdigit() or ch in "._" for ch in inner)
            or (form[0].isupper() and not _SENTENCE_START.search(query[: match.start()]))
        ):
            forms.append(form)
    return forms


def _folders(source: str) -> Iterable[str]:
    folder = posixpath.dirname(source)
    while folder and folder not in ("/", "."):
        yield folder
        parent = posixpath.dirname(folder)
        if parent == folder:
            return
        folder = parent


def gathered(naming: Collection[str], live: Collection[str]) -> frozenset[str]:
    """The documents of the folders where the documents naming something gather, with those
    documents themselves; empty when they gather nowhere."""
    if not naming:
        return frozenset()
    inside = Counter(folder for source in naming for folder in set(_folders(source)))
    candidates = {
        folder
        for folder, count in inside.items()
        if count >= CONCENTRATION * len(naming) and count >= MIN_FOLDER_DOCUMENTS
    }
    if not candidates:
        return frozenset()
    members: dict[str, list[str]] = {folder: [] for folder in candidates}
    for source in live:
        for folder in _folders(source):
            if folder in members:
                members[folder].append(source)
    chosen: frozenset[str] = frozenset()
    for folder in sorted(candidates, key=lambda f: -len(members[f])):
        documents = members[folder]
        if len(documents) >= len(live) or inside[folder] < COVERAGE * len(documents):
            continue  # the whole store, or a folder the name is only mentioned in
        chosen = frozenset(documents)
        break  # the widest folder that qualifies holds the narrower ones
    return chosen | frozenset(naming) if chosen else frozenset()


class NameScopes:
    """The scope of each name in one snapshot of the store, remembered until the store changes."""

    def __init__(self, versions_using: VersionsUsing) -> None:
        self._versions_using = versions_using
        self._live: Mapping[str, str] | None = None
        self._cache: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._lock = threading.Lock()

    def scope(self, terms: Iterable[str], live: Mapping[str, str]) -> frozenset[str]:
        """The documents the named terms point at (their scopes joined); empty when none
        gathers or the joined scope spans most of the store."""
        joined: set[str] = set()
        for term in terms:
            joined.update(self._of(term, live)[1])
        if len(joined) > NARROW_SHARE * len(live):
            return frozenset()
        return frozenset(joined)

    def naming(self, terms: Iterable[str], live: Mapping[str, str]) -> frozenset[str]:
        """The live documents with a chunk that uses any of the terms."""
        found: set[str] = set()
        for term in terms:
            found.update(self._of(term, live)[0])
        return frozenset(found)

    def _of(self, term: str, live: Mapping[str, str]) -> tuple[frozenset[str], frozenset[str]]:
        """The documents naming the term, and its scope."""
        with self._lock:
            # A snapshot is re-read every minute even when nothing changed: compare contents.
            if self._live is not live and self._live != live:
                self._live, self._cache = live, {}
            if term in self._cache:
                return self._cache[term]
        versions = self._versions_using(term, LOOKUP_LIMIT)
        naming = (
            {source for source, digest in versions if live.get(source) == digest}
            if versions is not None
            else set()
        )
        found = (frozenset(naming), gathered(naming, live))
        with self._lock:
            if self._live is live or self._live == live:
                self._cache[term] = found
        return found
