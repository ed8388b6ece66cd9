"""The bilingual domain glossary (data: domain/data/glossary.yaml) used to expand queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

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
