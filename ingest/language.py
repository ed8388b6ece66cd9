"""Per-text language detection between the two languages the corpus is written in."""

from __future__ import annotations

import re
from typing import Literal

# Han ideographs (with extensions and compatibility forms) plus CJK punctuation and
# full-width forms: what makes a passage read as Chinese.
_CJK = re.compile(
    "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\U00020000-\U0002ffff]"
)
_SPACE = re.compile(r"\s+")
ZH_SHARE = 0.2


def cjk_share(text: str) -> float:
    """The share of CJK characters among the non-space characters of `text` (0 when empty)."""
    compact = _SPACE.sub("", text)
    if not compact:
        return 0.0
    return len(_CJK.findall(compact)) / len(compact)


def detect_lang(text: str) -> Literal["zh", "en"]:
    """ "zh" when CJK characters are at least a fifth of the non-space text, else "en"."""
    return "zh" if cjk_share(text) >= ZH_SHARE else "en"
