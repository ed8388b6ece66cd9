"""Text helpers of retrieval: the shared BM25 tokenizer (sentences are split by store.sentences,
the one splitter ingest shares)."""

from __future__ import annotations

from store.tokens import (  # noqa: F401  (re-exported: the tokenizer is shared with ingest)
    MIN_WORD_FREQUENCY,
    TOKENIZER_VERSION,
    _common_words_dictionary,
    tokenize,
)
