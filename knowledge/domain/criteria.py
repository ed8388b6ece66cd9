"""The criteria briefings and comparisons judge vendors by (data: domain/data/criteria.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from store.language import other_language

CRITERIA_PATH = Path(__file__).parent / "data" / "criteria.yaml"
SECTION_IDS: tuple[str, ...] = ("questions", "poc_tests", "red_flags")
_LATIN = re.compile(r"[A-Za-z0-9]")


@lru_cache(maxsize=1024)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Latin keywords match whole words (a plural allowed: "region" finds "regions", never
    "regional" or "Web" in "website"); other keywords (Chinese, symbols) match anywhere."""
    escaped = re.escape(keyword)
    prefix = r"(?<![A-Za-z0-9])" if _LATIN.match(keyword[0]) else ""
    suffix = r"(?:s|es)?(?![A-Za-z])" if _LATIN.match(keyword[-1]) else ""
    return re.compile(prefix + escaped + suffix, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QuerySet:
    """Phrasings to retrieve with, and the keywords a sentence needs to count as an answer."""

    id: str
    name_en: str
    name_zh: str
    queries_en: tuple[str, ...]
    queries_zh: tuple[str, ...]
    keywords: tuple[str, ...]
    hints: tuple[str, ...] = ()
    compare: bool = False
    figure: bool = False  # a comparison cell on it states a figure
    # How a briefing judges the vendor's figure against the guidance's (answering/targets.py):
    # the kind of figure ("time", "percent", "count") and which way is better ("lower",
    # "higher"); empty: both are shown, nothing is judged.
    target_kind: str = ""
    better: str = ""
    # What each figure of that kind measures, by the keywords near it ("setup": join, 首帧…);
    # only figures of the same aspect are compared.
    aspects: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def name(self, lang: str) -> str:
        """The display name in `lang`."""
        return self.name_zh if lang == "zh" else self.name_en

    def queries(
        self,
        lang: str,
        scenario: dict[str, str] | None = None,
        *,
        both: bool = False,
        per_lang: int | None = None,
    ) -> list[str]:
        """Phrasings in `lang` (the first `per_lang` of them); with `both`, then the other
        language's too, for documents that may be written in either. `scenario` maps a language
        to the scenario's name in it, filled in for "{scenario}"."""
        names = scenario or {}
        other = other_language(lang)
        chosen = [(lang, query) for query in self._in(lang)[:per_lang]]
        if both:
            chosen += [(other, query) for query in self._in(other)[:per_lang]]
        return [_fill(query, names.get(query_lang, "")) for query_lang, query in chosen]

    def _in(self, lang: str) -> tuple[str, ...]:
        return self.queries_zh if lang == "zh" else self.queries_en

    def keyword_hits(self, sentence: str) -> int:
        """How many of the keywords occur in `sentence` (0: it does not address this)."""
        return sum(1 for pattern in _patterns(self.keywords) if pattern.search(sentence))

    def hinted(self, text: str) -> bool:
        """True when `text` (a chunk's title and heading path) marks it as written for this."""
        lowered = text.lower()
        return any(hint.lower() in lowered for hint in self.hints)


@lru_cache(maxsize=256)
def _patterns(keywords: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(keyword_pattern(keyword) for keyword in keywords if keyword)


def _fill(query: str, scenario: str) -> str:
    return " ".join(query.replace("{scenario}", scenario).split())


@dataclass(frozen=True, slots=True)
class CriteriaBook:
    """All criteria, the briefing's guide sections, and which criteria matter per scenario."""

    criteria: tuple[QuerySet, ...]
    sections: dict[str, QuerySet]
    scenario_criteria: dict[str, tuple[str, ...]]
    filler: frozenset[str] = frozenset()
    claim_skip_phrases: tuple[str, ...] = ()
    claim_skip_sections: tuple[str, ...] = ()
    unquotable_sections: tuple[str, ...] = ()

    def is_vendor_claim(self, sentence: str, section: str) -> bool:
        """False for a vendor document's advice or questions (not the vendor's own claims)."""
        heading = section.lower()
        if any(skip.lower() in heading for skip in self.claim_skip_sections):
            return False
        return not any(pattern.search(sentence) for pattern in _patterns(self.claim_skip_phrases))

    def get(self, criterion_id: str) -> QuerySet:
        """The criterion with this id (KeyError when there is none)."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    @property
    def comparison(self) -> tuple[QuerySet, ...]:
        """The rows of a comparison, in file order."""
        return tuple(criterion for criterion in self.criteria if criterion.compare)

    def for_scenario(self, scenario_id: str | None) -> tuple[QuerySet, ...]:
        """The criteria that matter for a scenario (the default list without one)."""
        ids = self.scenario_criteria.get(scenario_id or "default") or self.scenario_criteria.get(
            "default", ()
        )
        chosen = [self.get(criterion_id) for criterion_id in ids if self._has(criterion_id)]
        return tuple(chosen) or self.comparison

    def _has(self, criterion_id: str) -> bool:
        return any(criterion.id == criterion_id for criterion in self.criteria)


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in value if item is not None and str(item).strip())


def _query_set(entry: dict[str, object], default_id: str = "") -> QuerySet:
    queries = entry.get("queries") or {}
    keywords = entry.get("keywords") or {}
    target = entry.get("target") or {}
    assert isinstance(queries, dict) and isinstance(keywords, dict) and isinstance(target, dict)
    return QuerySet(
        id=str(entry.get("id") or default_id),
        name_en=str(entry.get("name_en") or ""),
        name_zh=str(entry.get("name_zh") or entry.get("name_en") or ""),
        queries_en=_strings(queries.get("en")),
        queries_zh=_strings(queries.get("zh")),
        keywords=_strings(keywords.get("en")) + _strings(keywords.get("zh")),
        hints=_strings(entry.get("hints")),
        compare=bool(entry.get("compare", False)),
        figure=bool(entry.get("figure", False)),
        target_kind=str(target.get("kind") or ""),
        better=str(target.get("better") or ""),
        aspects=tuple(
            (str(name), _strings(words)) for name, words in (target.get("aspects") or {}).items()
        ),
    )


def load_criteria(path: Path = CRITERIA_PATH) -> CriteriaBook:
    """Read the criteria file."""
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    criteria = tuple(_query_set(entry) for entry in data.get("criteria") or ())
    sections = {
        section_id: _query_set(entry, section_id)
        for section_id, entry in (data.get("sections") or {}).items()
    }
    missing = [section_id for section_id in SECTION_IDS if section_id not in sections]
    if missing:
        raise ValueError(f"{path}: sections {', '.join(missing)} are missing")
    scenario_criteria = {
        str(key): _strings(value) for key, value in (data.get("scenario_criteria") or {}).items()
    }
    filler_data = data.get("topic_filler") or {}
    filler = frozenset(
        word.casefold()
        for word in _strings(filler_data.get("en")) + _strings(filler_data.get("zh"))
    )
    claims = data.get("vendor_claims") or {}
    return CriteriaBook(
        criteria,
        sections,
        scenario_criteria,
        filler,
        claim_skip_phrases=_strings(claims.get("skip_phrases")),
        claim_skip_sections=_strings(claims.get("skip_sections")),
        unquotable_sections=_strings(data.get("unquotable_sections")),
    )


@lru_cache(maxsize=1)
def default_criteria() -> CriteriaBook:
    """The bundled criteria, read once."""
    return load_criteria()
