"""Recognising vendors and scenarios in a topic ("声网 语聊房", "NimbusRTC voice room").

Names and aliases are data (domain/data/vendors.yaml, scenarios.yaml). Matching ignores case and
spacing ("1v1视频" finds the alias "1v1 视频"), and Latin names match whole words only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml

from knowledge.api import AmbiguousVendor, InvalidQuestion, UnknownVendor
from store.language import Lang

DATA_DIR = Path(__file__).parent / "data"
VENDORS_PATH = DATA_DIR / "vendors.yaml"
SCENARIOS_PATH = DATA_DIR / "scenarios.yaml"
T = TypeVar("T")
CLOSEST_SHOWN = 3  # names offered when a name is not known: a short line, not a catalogue
_SHOWN_CHARS = 60  # of what the user typed, echoed in such a line
_ALNUM = re.compile(r"[A-Za-z0-9]")
_DISTINCTIVE = re.compile(r"^.{2,}[A-Z0-9].*$|^[A-Z0-9]{3,}$")
_SEPARATORS = re.compile(r"[\s\-_·.]+")
# What splits the leftover of a topic into words: spaces, punctuation of both languages.
_LEFTOVER_SPLIT = re.compile(r"[\s,，、;；:：/|+&()（）\[\]【】“”\"'!?！？。]+")


def _squash(text: str) -> str:
    """The form names are compared in: case-folded, without spaces, hyphens or dots."""
    return _SEPARATORS.sub("", text.casefold())


def _form_pattern(form: str) -> re.Pattern[str] | None:
    chars = _squash(form)
    if not chars:
        return None
    body = r"[\s\-_·.]*".join(re.escape(char) for char in chars)
    prefix = r"(?<![A-Za-z0-9])" if _ALNUM.match(chars[0]) else ""
    suffix = r"(?![A-Za-z0-9])" if _ALNUM.match(chars[-1]) else ""
    return re.compile(prefix + body + suffix, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Vendor:
    """A vendor: the canonical name and its aliases; `labels` are the values of the store's
    `vendor` metadata its documents carry (the name itself unless the documents call it
    otherwise: a document marked "声网" is Agora's)."""

    name: str
    aliases: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        """The name and every alias."""
        return (self.name, *self.aliases)

    @property
    def store_names(self) -> tuple[str, ...]:
        """The `vendor` metadata values of this vendor's documents."""
        return self.labels or (self.name,)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A product scenario (voice_room, live_commerce, …) with its names in both languages."""

    id: str
    name_en: str
    name_zh: str
    aliases: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()  # what it is, in both languages: matched by meaning
    # The briefing's questions to ask and PoC tests written for this scenario, per language.
    questions_en: tuple[str, ...] = ()
    questions_zh: tuple[str, ...] = ()
    poc_tests_en: tuple[str, ...] = ()
    poc_tests_zh: tuple[str, ...] = ()

    def questions(self, lang: str) -> tuple[str, ...]:
        """The questions to ask for this scenario in `lang` (else in the other language)."""
        chosen = self.questions_zh if lang == "zh" else self.questions_en
        return chosen or self.questions_en or self.questions_zh

    def poc_tests(self, lang: str) -> tuple[str, ...]:
        """The proof-of-concept tests for this scenario in `lang` (else in the other language)."""
        chosen = self.poc_tests_zh if lang == "zh" else self.poc_tests_en
        return chosen or self.poc_tests_en or self.poc_tests_zh

    @property
    def forms(self) -> tuple[str, ...]:
        """Both names and every alias."""
        return tuple(form for form in (self.name_en, self.name_zh, *self.aliases) if form)

    def name(self, lang: str) -> str:
        """The display name in `lang`."""
        return (self.name_zh if lang == "zh" else self.name_en) or self.name_en or self.id


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    item: Vendor | Scenario


class _Book:
    """Finds the mentions of a set of named things in free text."""

    def __init__(self, items: Sequence[Vendor | Scenario]) -> None:
        self._patterns: list[tuple[re.Pattern[str], Vendor | Scenario]] = []
        for item in items:
            for form in item.forms:
                pattern = _form_pattern(form)
                if pattern is not None:
                    self._patterns.append((pattern, item))

    def closest(self, typed: str, n: int = CLOSEST_SHOWN, lang: str = "en") -> list[str]:
        """The display names of the `n` items whose name or alias is most like `typed`."""
        key = _squash(typed)
        best: dict[int, tuple[float, Vendor | Scenario]] = {}
        for _, item in self._patterns:
            if id(item) not in best:
                score = max(SequenceMatcher(None, key, _squash(f)).ratio() for f in item.forms)
                best[id(item)] = (score, item)
        ranked = sorted(best.values(), key=lambda pair: -pair[0])  # stable: file order on ties
        return [
            item.name(lang) if isinstance(item, Scenario) else item.name for _, item in ranked[:n]
        ]

    def mentions(self, text: str) -> list[_Mention]:
        """Every place a name or alias occurs (overlaps included)."""
        found: list[_Mention] = []
        for pattern, item in self._patterns:
            for match in pattern.finditer(text):
                found.append(_Mention(match.start(), match.end(), item))
        return found


class VendorBook(_Book):
    """The known vendors; resolves what a user typed to one of them."""

    def __init__(self, vendors: Sequence[Vendor]) -> None:
        super().__init__(vendors)
        self.vendors = tuple(vendors)

    def names(self) -> list[str]:
        """Canonical names, in file order."""
        return [vendor.name for vendor in self.vendors]

    def mentioned(self, text: str) -> set[str]:
        """Canonical names of the vendors `text` mentions by name or alias (声网 → Agora)."""
        return {mention.item.name for mention in self.mentions(text)}

    def names_vendor(self, text: str, vendor: str) -> bool:
        """True when `text` mentions `vendor`: by name or alias for a known vendor; for one the
        book does not know, by its name or a distinctive word of it ("NimbusRTC" of "NimbusRTC
        Cloud": a capital or digit inside the word, so "Cloud" alone is not taken for it)."""
        if vendor in self.names():
            return vendor in self.mentioned(text)
        forms = [vendor, *(w for w in _LEFTOVER_SPLIT.split(vendor) if _DISTINCTIVE.search(w))]
        patterns = (_form_pattern(form) for form in forms)
        return any(pattern.search(text) for pattern in patterns if pattern is not None)

    def resolve(self, typed: str) -> Vendor:
        """The one vendor `typed` names (name or alias, any case; a unique part of a name will
        do); UnknownVendor, with the known vendors listed, when none or several match."""
        key = _squash(typed)
        if key:
            exact = [v for v in self.vendors if any(_squash(f) == key for f in v.forms)]
            if len(exact) == 1:
                return exact[0]
            partial = exact or [
                vendor
                for vendor in self.vendors
                if any(_overlaps(key, _squash(form)) for form in vendor.forms)
            ]
            if len(partial) == 1:
                return partial[0]
            if len(partial) > 1:
                names = ", ".join(v.name for v in partial[: CLOSEST_SHOWN + 2])
                raise AmbiguousVendor(name=_shown(typed), candidates=names)
        if not self.vendors:
            raise UnknownVendor("unknown_vendor_none", name=_shown(typed))
        raise UnknownVendor(name=_shown(typed), closest=", ".join(self.closest(typed)))


class ScenarioBook(_Book):
    """The known scenarios."""

    def __init__(self, scenarios: Sequence[Scenario]) -> None:
        super().__init__(scenarios)
        self.scenarios = tuple(scenarios)

    def listing(self, lang: str = "en") -> str:
        """The known scenarios' names, for messages."""
        return ", ".join(scenario.name(lang) for scenario in self.scenarios) or "none yet"


@dataclass(frozen=True, slots=True)
class Topic:
    """What a briefing is about: a scenario, a vendor, or both; `unknown_vendor` holds a name
    the topic gives that matches no known vendor."""

    text: str
    lang: str
    scenario: Scenario | None = None
    vendor: Vendor | None = None
    unknown_vendor: str = ""
    other_vendors: tuple[Vendor, ...] = ()


def recognise_topic(
    topic: str,
    vendors: VendorBook,
    scenarios: ScenarioBook,
    filler: Iterable[str] = (),
    lang: Lang = "en",
) -> Topic:
    """The scenario and vendor a topic names; InvalidQuestion, listing what is known, when it
    names neither; AmbiguousVendor when a name could be several vendors. Words left over beside
    a scenario are taken as a vendor we have no documents on."""
    text = " ".join(topic.split())
    mentions = _longest_first(vendors.mentions(text) + scenarios.mentions(text))
    found_vendors = _unique(m.item for m in mentions if isinstance(m.item, Vendor))
    found_scenarios = _unique(m.item for m in mentions if isinstance(m.item, Scenario))
    leftover = _leftover(text, mentions, frozenset(word.casefold() for word in filler))

    vendor = found_vendors[0] if found_vendors else None
    unknown = ""
    if vendor is None and leftover:
        try:
            vendor = vendors.resolve(leftover)
        except AmbiguousVendor:
            raise
        except UnknownVendor:
            unknown = leftover
    scenario = found_scenarios[0] if found_scenarios else None
    if vendor is None and scenario is None:
        closest = ", ".join(scenarios.closest(text, lang=lang))
        raise InvalidQuestion("unknown_topic", text=_shown(text), scenarios=closest)
    return Topic(
        text=text,
        lang=lang,
        scenario=scenario,
        vendor=vendor,
        unknown_vendor=unknown,
        other_vendors=tuple(v for v in found_vendors if v is not vendor),
    )


def topic_leftover(
    topic: str, vendors: VendorBook, scenarios: ScenarioBook, filler: Iterable[str] = ()
) -> str:
    """The words of a topic outside the vendor and scenario names it gives, less filler."""
    text = " ".join(topic.split())
    mentions = _longest_first(vendors.mentions(text) + scenarios.mentions(text))
    return _leftover(text, mentions, frozenset(word.casefold() for word in filler))


def _shown(typed: str) -> str:
    text = " ".join(typed.split())
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _longest_first(mentions: list[_Mention]) -> list[_Mention]:
    """Non-overlapping mentions, longer ones winning ("1v1 video" over "video"), in text order."""
    chosen: list[_Mention] = []
    for mention in sorted(mentions, key=lambda m: (-(m.end - m.start), m.start)):
        if all(mention.end <= other.start or mention.start >= other.end for other in chosen):
            chosen.append(mention)
    return sorted(chosen, key=lambda m: m.start)


def _unique(items: Iterable[T]) -> list[T]:
    result: list[T] = []
    for item in items:
        if item not in result:
            result.append(item)
    return result


def _leftover(text: str, mentions: Sequence[_Mention], filler: frozenset[str]) -> str:
    """The words of the topic outside the recognised names, less filler words."""
    pieces: list[str] = []
    position = 0
    for mention in mentions:
        pieces.append(text[position : mention.start])
        position = mention.end
    pieces.append(text[position:])
    words = [
        word
        for word in _LEFTOVER_SPLIT.split(" ".join(pieces))
        if word and word.casefold() not in filler
    ]
    # Chinese filler sits inside words ("我们的"): strip it from the ends of what remains.
    cleaned = []
    for word in words:
        for item in sorted((f for f in filler if not _ALNUM.search(f)), key=len, reverse=True):
            word = word.removeprefix(item).removesuffix(item)
        if word:
            cleaned.append(word)
    return " ".join(cleaned)


def _overlaps(key: str, form: str) -> bool:
    """A typed name that is part of a known form ("nimbus" of "nimbusrtc"), or holds one whole
    ("agora inc"); very short Latin pieces ("rt", "aws" in "laws") are not evidence enough."""

    def long_enough(text: str, latin: int) -> bool:
        return len(text) >= latin or (not _ALNUM.search(text) and len(text) >= 2)

    return (key in form and long_enough(key, 3)) or (form in key and long_enough(form, 4))


def merge_vendors(seed: VendorBook, found: Sequence[Vendor]) -> VendorBook:
    """The seed book with the vendors the store's documents name: a document's vendor that is a
    known vendor's name or alias (声网) joins that vendor, with the document's aliases; any other
    becomes a vendor of its own, after the seed's."""
    merged = {vendor.name: vendor for vendor in seed.vendors}
    keys = {_squash(form): vendor.name for vendor in seed.vendors for form in vendor.forms}
    for vendor in found:
        owner = next(
            (keys[_squash(form)] for form in vendor.forms if _squash(form) in keys), vendor.name
        )
        current = merged.get(owner, Vendor(owner))
        labels = _unique([*current.labels, *vendor.store_names])
        aliases = _unique(
            a for a in (*current.aliases, *vendor.forms) if _squash(a) != _squash(owner)
        )
        merged[owner] = Vendor(owner, tuple(aliases), tuple(labels))
        for form in (owner, *aliases):
            keys.setdefault(_squash(form), owner)
    return VendorBook(list(merged.values()))


def load_vendor_book(path: Path = VENDORS_PATH) -> VendorBook:
    """Read the vendors file; a missing file gives an empty book."""
    if not path.is_file():
        return VendorBook([])
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    return VendorBook(
        [
            Vendor(
                name=str(entry["name"]),
                aliases=tuple(str(alias) for alias in entry.get("aliases") or ()),
            )
            for entry in data.get("vendors") or ()
            if entry.get("name")
        ]
    )


def _per_lang(entry: dict[str, object], key: str, lang: str) -> tuple[str, ...]:
    """`entry[key][lang]` as strings (a scenario's questions or PoC tests in one language)."""
    value = entry.get(key) or {}
    items = value.get(lang) if isinstance(value, dict) else None
    return tuple(str(item) for item in items or () if str(item).strip())


def load_scenario_book(path: Path = SCENARIOS_PATH) -> ScenarioBook:
    """Read the scenarios file; a missing file gives an empty book."""
    if not path.is_file():
        return ScenarioBook([])
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    return ScenarioBook(
        [
            Scenario(
                id=str(entry["id"]),
                name_en=str(entry.get("name_en") or ""),
                name_zh=str(entry.get("name_zh") or ""),
                aliases=tuple(str(alias) for alias in entry.get("aliases") or ()),
                descriptions=tuple(
                    str(entry[key])
                    for key in ("description_en", "description_zh")
                    if entry.get(key)
                ),
                questions_en=_per_lang(entry, "questions", "en"),
                questions_zh=_per_lang(entry, "questions", "zh"),
                poc_tests_en=_per_lang(entry, "poc_tests", "en"),
                poc_tests_zh=_per_lang(entry, "poc_tests", "zh"),
            )
            for entry in data.get("scenarios") or ()
            if entry.get("id")
        ]
    )


@lru_cache(maxsize=1)
def default_books() -> tuple[VendorBook, ScenarioBook]:
    """The bundled vendor and scenario books, read once."""
    return load_vendor_book(), load_scenario_book()
