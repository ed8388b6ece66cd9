"""The bilingual domain glossary (data: domain/data/glossary.yaml) used to expand queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from store.tokens import tokenize

GLOSSARY_PATH = Path(__file__).parent / "data" / "glossary.yaml"


@dataclass(frozen=True, slots=True)
class Term:
    """One concept with its Chinese and English surface forms."""

    zh: tuple[str, ...]
    en: tuple[str, ...]

    @property
    def forms(self) -> tuple[str, ...]:
        """Every surface form, both languages."""
        return self.zh + self.en


@dataclass(frozen=True, slots=True)
class Concept:
    """A glossary term a question uses: the question's own words for it, and the patterns of
    all its forms, so a sentence that uses any form (in either language) counts as holding
    those words ("voice room" in a question, "语聊房" in a sentence)."""

    words: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    def found_in(self, text: str) -> bool:
        """True when `text` uses any form of the term."""
        return any(pattern.search(text) for pattern in self.patterns)


class Glossary:
    """Finds glossary terms in a query and returns their forms in the other language."""

    def __init__(self, terms: list[Term]) -> None:
        self.terms = terms
        self._patterns: list[tuple[re.Pattern[str], Term]] = []
        for term in terms:
            for form in term.forms:
                if not form:
                    continue
                if re.search(r"[A-Za-z]", form):
                    pattern = re.compile(r"(?<![A-Za-z])" + re.escape(form) + r"(?![A-Za-z])", re.I)
                else:
                    pattern = re.compile(re.escape(form))
                self._patterns.append((pattern, term))

    def matches(self, text: str) -> list[Term]:
        """The terms whose forms occur in `text`, in glossary order, each once."""
        found: list[Term] = []
        for pattern, term in self._patterns:
            if term not in found and pattern.search(text):
                found.append(term)
        return found

    def concepts(self, query: str) -> tuple[Concept, ...]:
        """The terms `query` uses, each with the query's words for it (tokenized as BM25 does)."""
        found: list[Concept] = []
        for term in self.matches(query):
            patterns = tuple(pattern for pattern, owner in self._patterns if owner is term)
            words = {
                word
                for pattern in patterns
                for match in pattern.finditer(query)
                for word in tokenize(match.group(0))
            }
            if words:
                found.append(Concept(frozenset(words), patterns))
        return tuple(found)

    def expand(self, query: str) -> list[str]:
        """Forms of the query's terms that the query does not already contain."""
        lowered = query.lower()
        extra: list[str] = []
        for term in self.matches(query):
            for form in term.forms:
                if form.lower() not in lowered and form not in extra:
                    extra.append(form)
        return extra


def load_glossary(path: Path = GLOSSARY_PATH) -> Glossary:
    """Read the glossary file; a missing file gives an empty glossary."""
    if not path.is_file():
        return Glossary([])
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    terms = [
        Term(
            zh=tuple(str(form) for form in entry.get("zh") or ()),
            en=tuple(str(form) for form in entry.get("en") or ()),
        )
        for entry in data.get("terms") or ()
    ]
    return Glossary(terms)


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    """The bundled glossary, read once."""
    return load_glossary()
