"""Text helpers of retrieval: the shared BM25 tokenizer (sentences are split by store.sentences,
the one splitter ingest shares)."""

from __future__ import annotations

from functools import lru_cache

from store.tokens import (  # noqa: F401  (re-exported: the tokenizer is shared with ingest)
    MIN_WORD_FREQUENCY,
    TOKENIZER_VERSION,
    _common_words_dictionary,
    tokenize,
)


@lru_cache(maxsize=20_000)
def sentence_terms(sentence: str, keep_stopwords: bool = False) -> frozenset[str]:
    """A sentence's (or a heading's) BM25 terms, remembered: the reader weighs the same
    sentences for every question and every comparison cell that reads their chunk, and
    tokenizing them again was a third of a comparison's time. About 20,000 sentences (a few MB)."""
    return frozenset(tokenize(sentence, keep_stopwords=keep_stopwords))
