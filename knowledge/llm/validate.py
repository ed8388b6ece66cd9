"""Post-validation of an LLM answer: only cited, checkable sentences reach the user.

The model's text is split into sentences (line by line, so bullets survive) and each sentence is
judged on its own:

* **Citations** are `[n]`, `[n, m]`, `[n][m]` or `【n】`. A sentence citing any number that is not a
  context source (1..len(hits)) is removed whole: a wrong number means the model misremembered
  where a claim came from, and the claim cannot be trusted either.
* A sentence with valid citations is kept only when its cited chunks support it on the surface:
  every number it states (digits, as in "400 ms", "99.9%") occurs in a cited chunk, and, when it
  is in the language of a cited chunk, it shares at least one content word with one of them. A
  sentence citing a chunk that itself carries instructions to the model ("ignore your
  instructions", "忽略…指令") is removed: such a chunk is reported on only by the extractive path,
  verbatim and attributed.
* A sentence with **no citation** is kept only when it is a *connective*: a short lead-in or
  transition that asserts nothing. Strictly, all of these must hold, otherwise it is removed:
  no digits, %, or currency signs; at most 12 words (English) or 24 characters (Chinese); it names
  no vendor (the known vendors' aliases and the retrieved chunks' vendors); in English no
  capitalised word after the first (a proper noun makes it a claim about something); and none of
  the evaluative or recommending words in `_CLAIM_WORDS` ("recommend", "best", "should", "推荐",
  "最", …). At most `MAX_CONNECTIVES` connectives are kept; each titles the points after it.
* Surviving citations are renumbered 1..m in order of first appearance. Each citation is built
  from the chunk; its `quote` is the chunk sentence that best matches the first sentence citing it
  (verbatim chunk text, never the model's words).
* A kept sentence citing a vendor's own document that does not name that vendor is prefixed
  "According to <vendor>, " (Chinese: "据<vendor>称，") so vendor claims stay attributed.

The answer is rejected (the caller falls back to the extractive answer) when no cited sentence
survives, or when more claims were removed than cited sentences kept: a model that mostly ignored
the rules is not trusted for the rest either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.answering.citations import CitationBook
from knowledge.api import Answer, Point, Section
from knowledge.domain.topics import VendorBook
from knowledge.retrieval.retriever import Hit
from knowledge.retrieval.text import tokenize
from store.language import Lang, detect_lang
from store.sentences import split_sentences

MAX_CONNECTIVES = 2
MAX_CONNECTIVE_WORDS = 12
MAX_CONNECTIVE_ZH_CHARS = 24

NO_VENDORS = VendorBook([])

_CITATION = re.compile(
    r"[\[【]\s*(?:source\s*|来源\s*)?(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]", re.IGNORECASE
)
_ONLY_CITATIONS = re.compile(rf"^\s*(?:{_CITATION.pattern}\s*)+[.。!！?？;；]?\s*$", re.IGNORECASE)
_LINE_PREFIX = re.compile(r"^\s*(?:[-*•]\s+|\d{1,2}[.)]\s+|#{1,6}\s+)")
_DIGIT_OR_MONEY = re.compile(r"[\d%$€£¥￥]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_CLAIM_WORDS = frozenset(
    "recommend recommended recommends recommendation best worst better worse should must "
    "choose pick prefer preferred cheapest fastest leading leader guarantee guaranteed always "
    "never only superior inferior top ignore instructions".split()
)
_CLAIM_WORDS_ZH = (
    "推荐",
    "建议",
    "最",
    "应该",
    "应当",
    "必须",
    "首选",
    "保证",
    "一定",
    "优于",
    "忽略",
)
_SIMPLE_CAPITAL = re.compile(r"^([A-Z][a-z]+)\b")


REASONS = (
    "unknown citation",
    "unsupported number",
    "not supported by its sources",
    "cites a source carrying instructions",
    "uncited claim",
    "too many uncited sentences",
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|rules|prompt)\b"
    r"|(?:忽略|无视|忘记).{0,10}(?:指令|指示|规则|提示)",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Removal:
    """A sentence validation removed, and why."""

    sentence: str
    reason: str  # see REASONS


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome: the validated answer, or None when too little survived."""

    answer: Answer | None
    kept: int  # cited sentences kept
    connectives: int
    removed: tuple[Removal, ...]

    @property
    def ok(self) -> bool:
        """True when the model's answer can be shown."""
        return self.answer is not None


@dataclass(slots=True)
class _Sentence:
    text: str
    numbers: list[int]


@dataclass(slots=True)
class _Line:
    prefix: str
    sentences: list[_Sentence]


def citation_numbers(sentence: str) -> list[int]:
    """The source numbers a sentence cites, in order, without repeats."""
    numbers: list[int] = []
    for match in _CITATION.finditer(sentence):
        for part in re.split(r"[,，、]", match.group(1)):
            number = int(part.strip())
            if number not in numbers:
                numbers.append(number)
    return numbers


def _parse(text: str) -> list[_Line]:
    lines: list[_Line] = []
    for raw in text.strip().splitlines():
        if not raw.strip():
            continue
        prefix_match = _LINE_PREFIX.match(raw)
        prefix = prefix_match.group(0).strip() if prefix_match else ""
        body = raw[prefix_match.end() :] if prefix_match else raw
        sentences: list[_Sentence] = []
        for piece in split_sentences(body):
            if _ONLY_CITATIONS.match(piece) and sentences:
                # "… latency. [2]": the marker belongs to the sentence before it.
                previous = sentences[-1]
                previous.text = f"{previous.text} {piece.strip()}"
                previous.numbers = citation_numbers(previous.text)
                continue
            sentences.append(_Sentence(piece.strip(), citation_numbers(piece)))
        if sentences:
            lines.append(_Line(prefix, sentences))
    return lines


def is_connective(
    sentence: str, vendors: Iterable[str] = (), book: VendorBook = NO_VENDORS
) -> bool:
    """True for a short lead-in or transition that asserts nothing (see the module doc)."""
    text = sentence.strip().strip("*_ ")
    if not text or _CITATION.search(text) or _DIGIT_OR_MONEY.search(text):
        return False
    if detect_lang(text) == "zh":
        if len(text) > MAX_CONNECTIVE_ZH_CHARS or any(w in text for w in _CLAIM_WORDS_ZH):
            return False
    else:
        words = _LATIN_WORD.findall(text)
        if len(text.split()) > MAX_CONNECTIVE_WORDS:
            return False
        if any(word.lower() in _CLAIM_WORDS for word in words):
            return False
        if any(word[0].isupper() for word in words[1:]):
            return False
    names = set(vendors) | set(book.names())
    return not any(book.names_vendor(text, name) for name in names)


def best_quote(hit: Hit, sentence: str) -> str:
    """The sentence of the chunk that best matches `sentence`: verbatim chunk text."""
    candidates = [c for c in split_sentences(hit.chunk.text) if c.strip()]
    if not candidates:
        return hit.chunk.text.strip()
    wanted = set(tokenize(_CITATION.sub(" ", sentence)))

    def score(candidate: str) -> tuple[int, int]:
        overlap = len(wanted & set(tokenize(candidate)))
        # A heading line is a poor quote; a real sentence with the same overlap wins.
        return overlap, 0 if candidate.lstrip().startswith("#") else 1

    return max(candidates, key=score)  # max keeps the first of equals: earlier text wins


def carries_instructions(text: str) -> bool:
    """True when a chunk addresses the model with instructions (a prompt-injection attempt)."""
    return _INJECTION.search(text) is not None


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def support_problem(sentence: str, cited: Sequence[Hit]) -> str | None:
    """Why the cited chunks do not support the sentence on the surface, or None when they do."""
    claim = _CITATION.sub(" ", sentence)
    if any(carries_instructions(hit.chunk.text) for hit in cited):
        return "cites a source carrying instructions"
    available: set[str] = set()
    for hit in cited:
        available |= _numbers(hit.chunk.text)
    if not _numbers(claim) <= available:
        return "unsupported number"
    lang = detect_lang(claim)
    same_lang = [hit for hit in cited if (hit.chunk.lang or "en") == lang]
    if same_lang:
        words = set(tokenize(claim))
        if not any(words & set(tokenize(f"{h.chunk.title} {h.chunk.text}")) for h in same_lang):
            return "not supported by its sources"
    return None


def _lower_first(sentence: str, vendors: Iterable[str], book: VendorBook) -> str:
    match = _SIMPLE_CAPITAL.match(sentence)
    if not match or any(book.names_vendor(match.group(1), vendor) for vendor in vendors):
        return sentence
    return sentence[0].lower() + sentence[1:]


def attribute(sentence: str, vendors: Sequence[str], book: VendorBook = NO_VENDORS) -> str:
    """The sentence, prefixed with its vendors when it states their claims without naming them."""
    missing = [vendor for vendor in vendors if not book.names_vendor(sentence, vendor)]
    if not missing:
        return sentence
    if detect_lang(sentence) == "zh":
        return f"据{'和'.join(missing)}称，{sentence}"
    who = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + f" and {missing[-1]}"
    return f"According to {who}, {_lower_first(sentence, missing, book)}"


def validate(
    text: str, hits: Sequence[Hit], lang: Lang = "en", vendors: VendorBook = NO_VENDORS
) -> Validation:
    """Check the model's answer against the context `hits` (numbered 1..len(hits)); `vendors`
    knows the aliases by which a sentence may name a vendor."""
    context_vendors = {hit.chunk.vendor for hit in hits if hit.chunk.vendor}
    removed: list[Removal] = []
    book = CitationBook()
    mapping: dict[int, int] = {}
    # A lead-in ("In short:") titles the points that follow it.
    sections: list[tuple[str, list[Point]]] = [("", [])]
    kept = connectives = 0
    for line in _parse(text):
        for sentence in line.sentences:
            if sentence.numbers:
                if any(not 1 <= n <= len(hits) for n in sentence.numbers):
                    removed.append(Removal(sentence.text, "unknown citation"))
                    continue
                problem = support_problem(sentence.text, [hits[n - 1] for n in sentence.numbers])
                if problem:
                    removed.append(Removal(sentence.text, problem))
                    continue
                for n in sentence.numbers:
                    number = book.cite(hits[n - 1], best_quote(hits[n - 1], sentence.text))
                    mapping.setdefault(n, number)
                vendor_names = list(
                    dict.fromkeys(
                        hits[n - 1].chunk.vendor
                        for n in sentence.numbers
                        if hits[n - 1].chunk.doc_type == "vendor" and hits[n - 1].chunk.vendor
                    )
                )
                claim = _CITATION.sub("", sentence.text).strip()
                cites = tuple(dict.fromkeys(mapping[n] for n in sentence.numbers))
                sections[-1][1].append(
                    Point(
                        attribute(_tidy(claim), vendor_names, vendors),
                        cites=cites,
                        claim_of=", ".join(vendor_names) or None,
                        verbatim=False,
                    )
                )
                kept += 1
            elif is_connective(sentence.text, context_vendors, vendors):
                if connectives >= MAX_CONNECTIVES:
                    removed.append(Removal(sentence.text, "too many uncited sentences"))
                    continue
                sections.append((sentence.text, []))
                connectives += 1
            else:
                removed.append(Removal(sentence.text, "uncited claim"))
    if kept == 0 or len(removed) > kept:
        return Validation(None, kept, connectives, tuple(removed))
    answer = Answer(
        sections=tuple(Section(title, tuple(points)) for title, points in sections if points),
        citations=tuple(book.citations),
        lang=lang,
    )
    return Validation(answer, kept, connectives, tuple(removed))


def _tidy(claim: str) -> str:
    """A claim without the space its removed markers left before its closing punctuation."""
    return re.sub(r"\s+([.。!！?？;；,，])", r"\1", " ".join(claim.split()))
