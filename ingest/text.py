"""Bytes → clean text: encoding detection and the normalisation every loader applies."""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

from ingest.errors import IngestError
from store.language import CJK, CJK_PUNCT, is_cjk

# File signatures of formats people rename by mistake; named in the error message.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a zip archive (DOCX?)"),
    (b"\xd0\xcf\x11\xe0", "an old Office file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16's LE one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Decode simplified Chinese with gb18030, the superset, so rarer characters survive.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "hz": "gb18030"}
_CHINESE = frozenset({"gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950", "hz"})
# When a short text is ambiguous, a Chinese reading wins over a Japanese or Korean one
# that is barely cleaner: the corpus is Chinese and English.
_CHINESE_SLACK = 0.05

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}  # ０-９
_FULLWIDTH.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_FULLWIDTH.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_FULLWIDTH[0x3000] = 0x20  # ideographic space
_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl"}
_WIDE_FORMS = {chr(code): chr(half) for code, half in _FULLWIDTH.items()}
_WIDE_FORMS.update({chr(code): text for code, text in _LIGATURES.items()})
# A regex finds the few characters to change; str.translate walks every one (slow on 50 MB).
_WIDE_FORM = re.compile(f"[{''.join(sorted(_WIDE_FORMS))}]")
_NEWLINES = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_FULLWIDTH_POINT = re.compile(r"(?<=\d)．(?=\d)")  # 99．95 is a decimal, not a sentence end
_ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f]")
_RUNS = re.compile(r"[ \t]+")
# Control characters (Unicode Cc, but tab and newline) and format characters (Cf: zero-width
# spaces and joiners, bidi marks, soft hyphens, BOMs), spelled out so one regex pass removes
# them all; a per-character category lookup is too slow for 50 MB files.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
# What binary data decoded as text is full of: controls, replacement marks, private use
# and lone surrogates.
_GARBAGE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd\ue000-\uf8ff\ud800-\udfff]")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{CJK}]) (?=[{CJK}])")
# Full-width letters and digits are made half-width by `normalize` first, so what is left of
# CJK_PUNCT in normalised text is punctuation.
_CJK_PUNCT_ONE = re.compile(f"[{CJK_PUNCT}]")


def sniff_binary(data: bytes) -> str | None:
    """What a binary file looks like ("a PDF", ...), or None when it may be text."""
    head = data[:8]
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text bytes: BOM, then strict UTF-8, then a declared charset, then detection."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data, encoding)
    kind = sniff_binary(data)
    if kind is not None:
        raise IngestError(f"looks binary, not text ({kind})")
    if b"\x00" in data:
        # Text has no NUL bytes unless it is UTF-16/32, and those carry a BOM (handled above).
        raise IngestError("looks binary, not text (it holds NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        encoding = _codec(declared)
        if encoding is not None:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                pass
    encoding = _detect(data)
    if encoding is None:
        raise IngestError("looks binary, not text (no text encoding fits)")
    text = _decode(data, encoding)
    if _garbled(text):
        raise IngestError(f"looks binary, not text (garbled as {encoding})")
    return text


def _garbled(text: str) -> bool:
    """Control characters or replacement marks in more than 1 in 100 characters."""
    return len(_GARBAGE.findall(text)) > len(text) / 100


def _codec(name: str) -> str | None:
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(canonical, canonical)


def _detect(data: bytes) -> str | None:
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    if _codec(best.encoding) not in _CHINESE:
        for match in matches:
            if _codec(match.encoding) in _CHINESE and match.chaos <= best.chaos + _CHINESE_SLACK:
                best = match
                break
    return _codec(best.encoding)


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        # A few bad bytes in an otherwise sound file should not cost the whole document.
        return data.decode(encoding, errors="replace")
    except LookupError:  # pragma: no cover - codecs come from a fixed list or `_codec`
        raise IngestError(f"unknown text encoding {encoding}") from None


def normalize(text: str) -> str:
    """NFC, half-width ASCII letters and digits, one kind of line end, no invisible chars.

    Indentation and runs of spaces survive (Markdown and code need them); `collapse` handles
    those per block.
    """
    text = _NEWLINES.sub("\n", text)
    text = unicodedata.normalize("NFC", text)
    text = _WIDE_FORM.sub(lambda match: _WIDE_FORMS[match.group()], text)
    text = _FULLWIDTH_POINT.sub(".", text)
    text = _ODD_SPACES.sub(" ", text)
    return _INVISIBLE.sub("", text)


def collapse(text: str) -> str:
    """One line of prose: runs of whitespace become one space, no space between CJK chars."""
    if "\n" not in text:
        line = _RUNS.sub(" ", text).strip()
        return _SPACE_BETWEEN_CJK.sub("", line) if " " in line else line
    lines = [_RUNS.sub(" ", line).strip() for line in text.split("\n")]
    return join_lines([line for line in lines if line])


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines: directly between CJK characters or at CJK punctuation, else a space."""
    parts: list[str] = []
    previous = ""
    for line in lines:
        if not line:
            continue
        if previous and not (
            (is_cjk(previous[-1]) and is_cjk(line[0]))
            or _CJK_PUNCT_ONE.match(previous[-1])
            or _CJK_PUNCT_ONE.match(line[0])
        ):
            parts.append(" ")
        parts.append(line)
        previous = line
    out = "".join(parts)
    if " " not in out and "\t" not in out:
        return out.strip()
    return _SPACE_BETWEEN_CJK.sub("", _RUNS.sub(" ", out)).strip()


def clean_code(text: str) -> str:
    """A code block: trailing spaces and blank edges trimmed, indentation kept."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)
