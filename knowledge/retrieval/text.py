"""Text helpers of retrieval: the shared BM25 tokenizer, and splitting chunks into sentences."""

from __future__ import annotations

import re

from store.language import HAN
from store.tokens import (  # noqa: F401  (re-exported: the tokenizer is shared with ingest)
    MIN_WORD_FREQUENCY,
    TOKENIZER_VERSION,
    _common_words_dictionary,
    tokenize,
)

# Sentence ends: Chinese full stops, and English ones followed by space or the end (not "e.g.",
# "3.5", "99.95%").
_SENTENCE_END = re.compile(
    r"(?<=[。！？；])[”」』\"')）]*|(?<![A-Z][a-z]\.)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)"
    r"(?<=[a-z0-9%)\]\"'][.!?])(?=\s+[A-Z0-9\"“(\[" + HAN + "])"
)


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
