"""Language-aware text helpers: detecting Chinese, tokenising for BM25, splitting sentences."""

from __future__ import annotations

import re

from store.tokens import (  # noqa: F401  (re-exported: the tokenizer is shared with ingest)
    MIN_WORD_FREQUENCY,
    TOKENIZER_VERSION,
    _common_words_dictionary,
    tokenize,
)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# Sentence ends: Chinese full stops, and English ones followed by space or the end (not "e.g.",
# "3.5", "99.95%").
_SENTENCE_END = re.compile(
    r"(?<=[。！？；])[”」』\"')）]*|(?<![A-Z][a-z]\.)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)"
    r"(?<=[a-z0-9%)\]\"'][.!?])(?=\s+[A-Z0-9\"“(\[\u3400-\u9fff])"
)


def cjk_ratio(text: str) -> float:
    """The share of CJK characters among the non-space characters."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _CJK.match(c)) / len(chars)


def detect_lang(text: str) -> str:
    """`zh` when Chinese characters make up a meaningful share of the text, else `en`."""
    return "zh" if cjk_ratio(text) >= 0.2 else "en"


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk, verbatim (each is a substring of `text`), list items kept whole."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(line):
            end = match.end()
            piece = line[start:end].strip()
            if piece:
                sentences.append(piece)
            start = end
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences
