"""The one place that knows what Chinese text looks like, and which language a text is in.

Ingest (a chunk's `lang`), knowledge (the language of a question and its answer) and the bot (the
language of a reply) all decide through `detect_lang`, so a question, its answer and its frame
never disagree.
"""

from __future__ import annotations

import re
from typing import Literal

Lang = Literal["zh", "en"]

# Han ideographs: the unified block, extension A, compatibility forms and the supplementary
# planes' extensions. These carry meaning; punctuation below only carries layout.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# CJK symbols and punctuation (。、「」), and full-width ASCII forms and punctuation (，：！).
CJK_PUNCT = "\u3000-\u303f\uff01-\uff60"
CJK = HAN + CJK_PUNCT

_HAN_CHAR = re.compile(f"[{HAN}]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’\-][A-Za-z]+)*")
_CJK_CHAR = re.compile(f"[{CJK}]")

# A Chinese word is one to two characters, an English one a whole run of letters: one Latin word
# weighs what about one and a half Han characters say. So "What latency should a 语聊房 target?"
# is English, and "NimbusRTC 的 LL-HLS 延迟多少" is Chinese.
LATIN_WORD_WEIGHT = 1.5


def is_han(char: str) -> bool:
    """True for one Han ideograph."""
    return bool(char) and bool(_HAN_CHAR.fullmatch(char))


def is_cjk(char: str) -> bool:
    """True for one Han ideograph or one CJK punctuation or full-width mark."""
    return bool(char) and bool(_CJK_CHAR.fullmatch(char))


def has_han(text: str) -> bool:
    """True when `text` holds at least one Han ideograph."""
    return bool(_HAN_CHAR.search(text))


def _weights(text: str) -> tuple[int, float]:
    """The text's Han characters, and its Latin words weighed in Han characters."""
    return len(_HAN_CHAR.findall(text)), len(_LATIN_WORD.findall(text)) * LATIN_WORD_WEIGHT


def han_share(text: str) -> float:
    """The weight of Han characters among the text's letters (a Latin word weighs 1.5), 0..1."""
    han, latin = _weights(text)
    total = han + latin
    return han / total if total else 0.0


def other_language(lang: str) -> Lang:
    """The other of the two languages ("en" for "zh", "zh" for anything else)."""
    return "en" if lang == "zh" else "zh"


def detect_lang(text: str, default: Lang = "en") -> Lang:
    """ "zh" when Han characters outweigh Latin words, "en" otherwise; `default` for no letters."""
    han, latin = _weights(text)
    if not han and not latin:
        return default
    return "zh" if han >= latin else "en"
