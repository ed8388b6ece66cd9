"""Which vendor a document without a `vendor:` is about: the product or company name its title
(an HTML <title>, a PDF's first line, a DOCX title, the first heading) gives and its text keeps
naming.

Detection is deliberately conservative, so a guide is never taken for a vendor's document:
- a guide (`doc_type: guide`) is never a vendor's document;
- a name is a proper name: a word with a capital or digit inside it ("NimbusRTC", "WaveLink2"), or a
  run of capitalised words the text never writes in lower case ("Skylark Cloud", but not "Voice"
  when the text says "voice"); a bare acronym ("RTC", "SDK") is a topic, not a name;
- the text keeps naming it: several mentions in its paragraphs, not only in headings;
- a title naming two names the text keeps naming (a comparison, a guide) names no one vendor.
A Chinese name in the title is taken as an alias of the Latin name it pairs with in brackets
("星河音视频（GalaxyRTC）"). A title that names the vendor only in Chinese
("某某云实时音视频产品说明") gives it by the Chinese words it starts with, when the text makes
exactly those words the subject of offers, charges or guarantees ("某某云提供…", "某某云承诺…")
and they are more than the domain's common words (a topic such as "语聊房" or "实时音视频" offers
nothing by itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ingest.document import DocumentMeta, LoadedDocument
from store.language import HAN

MIN_MENTIONS = 3  # in the text's paragraphs, the title and headings aside
MIN_CLAIMS = 3  # sentences in which the name offers, charges or guarantees something
# A vendor's document states what the vendor sells: the name as the subject of commercial verbs.
# A technology ("WebRTC supports …") or a feature page ("Cluster …") is named as often, but
# never offers, charges or guarantees anything.
_CLAIM_VERBS = (
    r"(?:['’]s)?\s+(?:\S+\s+){0,2}?(?:offers?|provides?|charges?|guarantees?|bills?|sells?|"
    r"operates?|commits?|promises?|prices?|includes?|delivers?|states?|claims?|advertises?)\b"
    r"|\s*(?:的\S{0,8}?)?(?:提供|承诺|收费|计费|保证|覆盖|宣称|声称|称)"
)
RIVAL_SHARE = 0.5  # a second name this often named as the first makes the document no one's
MAX_RUN_WORDS = 3
_SEGMENT_SPLIT = re.compile(r"\s+[-|–—·•/]\s+|[:：|｜（）()\[\]【】,，、;；]|\s+[–—]|[–—]\s+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+&.'’-]*[A-Za-z0-9+]|[A-Za-z0-9]")
_INNER_CAPITAL = re.compile(r"^.+[A-Z0-9]|^\d+[A-Za-z]")
_ACRONYM = re.compile(r"^[A-Z0-9]{1,5}s?$")
_HAN_LEAD = re.compile(rf"[{HAN}]+")
MAX_HAN_NAME = 8
# The domain's and documents' common words: what a Chinese title says besides a vendor's name
# (the product, the document), so never a name by themselves. General vocabulary of the field,
# not any corpus's names.
_COMMON_HAN = (
    "解决方案",
    "实时",
    "音视频",
    "音频",
    "视频",
    "语音",
    "直播",
    "互动",
    "通话",
    "通信",
    "通讯",
    "语聊房",
    "语聊",
    "连麦",
    "会议",
    "课堂",
    "教育",
    "社交",
    "娱乐",
    "游戏",
    "场景",
    "选型",
    "对比",
    "比较",
    "指南",
    "产品",
    "服务",
    "方案",
    "技术",
    "平台",
    "系统",
    "能力",
    "功能",
    "白皮书",
    "说明",
    "介绍",
    "文档",
    "手册",
    "概述",
    "简介",
    "我们",
    "本文",
    "本",
    "该",
    "云",
    "的",
    "与",
    "和",
)


@dataclass(frozen=True, slots=True)
class DetectedVendor:
    """A vendor name found in a document, and the other names it goes by there."""

    name: str
    aliases: tuple[str, ...] = ()


def detect_vendor(document: LoadedDocument) -> DetectedVendor | None:
    """The vendor `document` is about, or None when its title and text name no one vendor."""
    if document.meta.doc_type == "guide":
        return None
    titles = _titles(document)
    body = "\n".join(
        block.text for block in document.blocks if block.kind in ("paragraph", "list_item", "table")
    )
    if not titles or not body:
        return None
    counted: dict[str, int] = {}
    aliases: dict[str, list[str]] = {}
    for title in titles:
        for candidate in _latin_candidates(title, body):
            aliases[candidate] = _han_aliases(titles, candidate, body)
            own = _mentions(candidate, body)
            counted[candidate] = own + max((body.count(a) for a in aliases[candidate]), default=0)
    named = sorted(
        (
            (count, name)
            for name, count in counted.items()
            if count >= MIN_MENTIONS and _claims(name, aliases[name], body) >= MIN_CLAIMS
        ),
        key=lambda pair: (-pair[0], -len(pair[1])),
    )
    if not named:
        return _han_vendor(titles, body)
    count, name = named[0]
    rivals = [
        other
        for other_count, other in named[1:]
        if other_count >= count * RIVAL_SHARE and not _shares_word(name, other)
    ]
    if rivals:
        return None
    # The fullest form the text uses nearly as often: "Alibaba Cloud RTC" over "Alibaba".
    fuller = [
        other
        for other_count, other in named
        if other_count >= count * RIVAL_SHARE and name in other and len(other) > len(name)
    ]
    name = max(fuller, key=len, default=name)
    return DetectedVendor(name, tuple(aliases[name]))


def _han_vendor(titles: Sequence[str], body: str) -> DetectedVendor | None:
    """The vendor a title names in Chinese only: of the Chinese words a title segment starts
    with, the form the body most often has offer, charge or guarantee something (the fullest of
    equals), named often enough; None when two such names are as strong (a comparison)."""
    scored: dict[str, tuple[int, int]] = {}
    for title in titles:
        for segment in _SEGMENT_SPLIT.split(title):
            lead = _HAN_LEAD.match(segment.strip())
            if lead is None:
                continue
            run = lead.group(0)
            for end in range(2, min(len(run), MAX_HAN_NAME) + 1):
                name = run[:end]
                if name in scored or not _distinctive_han(name):
                    continue
                mentions, claims = body.count(name), _claims(name, (), body)
                if mentions >= MIN_MENTIONS and claims >= MIN_CLAIMS:
                    scored[name] = (claims, mentions)
    if not scored:
        return None
    ranked = sorted(scored.items(), key=lambda item: (-item[1][0], -len(item[0])))
    name, (claims, _) = ranked[0]
    rivals = [
        other
        for other, (other_claims, _) in ranked[1:]
        if other_claims >= claims * RIVAL_SHARE and other not in name and name not in other
    ]
    return None if rivals else DetectedVendor(name)


def _distinctive_han(name: str) -> bool:
    """True when a Chinese name holds something besides the domain's common words ("某某云",
    "鹊桥音视频"; not "实时音视频", "语聊房", "产品说明")."""
    rest = name
    for word in sorted(_COMMON_HAN, key=len, reverse=True):
        rest = rest.replace(word, "")
    return bool(rest)


def _titles(document: LoadedDocument) -> list[str]:
    """What names the document: its title, its first heading and its first line."""
    found = [document.meta.title]
    heading = next((block.text for block in document.blocks if block.kind == "heading"), "")
    first = document.blocks[0].text if document.blocks else ""
    found += [heading, first.split("\n", 1)[0][:200]]
    return list(dict.fromkeys(title.strip() for title in found if title.strip()))


def _latin_candidates(title: str, body: str) -> list[str]:
    """The proper names a title gives: distinctive words, and runs of capitalised words the body
    never writes in lower case."""
    found: list[str] = []
    for segment in _SEGMENT_SPLIT.split(title):
        run: list[str] = []
        for match in _WORD.finditer(segment):
            word = match.group(0)
            # Words follow each other only across spaces: "A/B" or "A, B" are two names.
            gap = segment[match.start() - 1] if match.start() else " "
            if run and gap != " ":
                found += _runs(run)
                run = []
            if _capitalised(word) and not _lower_in(word, body):
                run.append(word)
            else:
                found += _runs(run)
                run = []
        found += _runs(run)
    return [name for name in dict.fromkeys(found) if _is_name(name)]


def _runs(words: Sequence[str]) -> list[str]:
    """Every run of up to MAX_RUN_WORDS consecutive words."""
    return [
        " ".join(words[start:end])
        for start in range(len(words))
        for end in range(start + 1, min(len(words), start + MAX_RUN_WORDS) + 1)
    ]


def _capitalised(word: str) -> bool:
    return word[0].isupper() or bool(_INNER_CAPITAL.match(word))


def _lower_in(word: str, body: str) -> bool:
    """True when the body writes `word` in lower case: a common word, not a name."""
    lowered = word.lower()
    if lowered == word:
        return False
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(lowered)}(?![A-Za-z0-9])", body) is not None


def _is_name(name: str) -> bool:
    words = name.split()
    if len(words) == 1:
        word = words[0]
        if _ACRONYM.match(word):
            return False  # "RTC", "SDK", "SLA": what a document is about, not whose
        return len(word) >= 3
    return not all(_ACRONYM.match(word) for word in words)


def _mentions(name: str, body: str) -> int:
    body_pattern = r"\s+".join(re.escape(word) for word in name.split())
    pattern = rf"(?<![A-Za-z0-9]){body_pattern}(?![A-Za-z0-9])"
    return len(re.findall(pattern, body))


def _claims(name: str, aliases: Sequence[str], body: str) -> int:
    """How many times the body has the vendor, by name or alias, offer, charge or guarantee."""
    forms = [r"\s+".join(re.escape(word) for word in name.split()), *map(re.escape, aliases)]
    pattern = rf"(?<![A-Za-z0-9])(?:{'|'.join(forms)})(?:{_CLAIM_VERBS})"
    return len(re.findall(pattern, body, re.IGNORECASE))


def _shares_word(one: str, other: str) -> bool:
    return bool(set(one.split()) & set(other.split()))


def _han_aliases(titles: Iterable[str], name: str, body: str) -> list[str]:
    """The Chinese name a title pairs with the Latin one in brackets ("星河音视频（GalaxyRTC）",
    "GalaxyRTC（星河音视频）"), when the text uses it too."""
    escaped = re.escape(name)
    patterns = (
        re.compile(rf"([{HAN}]{{2,12}})\s*[(（]\s*{escaped}\s*[)）]"),
        re.compile(rf"{escaped}\s*[(（]\s*([{HAN}]{{2,12}})\s*[)）]"),
    )
    found = [
        match.group(1)
        for title in titles
        for pattern in patterns
        for match in pattern.finditer(title)
        if body.count(match.group(1)) >= MIN_MENTIONS - 1
    ]
    return list(dict.fromkeys(found))


def with_vendor(document: LoadedDocument, vendor: str = "") -> DocumentMeta:
    """The document's metadata with its vendor settled, in order: `vendor` (given on the command
    line or with an upload), the front matter's `vendor:`, else detection; a document with a
    vendor is a vendor document unless its front matter says otherwise."""
    meta = document.meta
    if vendor.strip():
        doc_type = meta.doc_type if meta.doc_type != "other" else "vendor"
        return replace(meta, vendor=" ".join(vendor.split()), doc_type=doc_type)
    if meta.vendor:
        return meta
    found = detect_vendor(document)
    if found is None:
        return meta
    aliases = ", ".join(a for a in (meta.aliases, *found.aliases) if a)
    return replace(meta, vendor=found.name, aliases=aliases, doc_type="vendor")
