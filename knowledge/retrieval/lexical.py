"""A BM25 index over chunk texts (Okapi BM25, k1=1.2, b=0.75) with sparse postings in numpy."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from knowledge.retrieval.text import tokenize

K1 = 1.2
B = 0.75


class BM25Index:
    """Postings per term; scoring touches only the documents that contain a query term."""

    def __init__(self, texts: Sequence[str], tokens: Sequence[Sequence[str]] | None = None) -> None:
        tokenized = tokens if tokens is not None else [tokenize(text) for text in texts]
        self.size = len(tokenized)
        lengths = np.array([len(terms) for terms in tokenized], dtype=np.float32)
        self.avg_length = float(lengths.mean()) if self.size else 0.0
        postings: dict[str, list[tuple[int, int]]] = {}
        for doc, terms in enumerate(tokenized):
            for term, count in Counter(terms).items():
                postings.setdefault(term, []).append((doc, count))
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._idf: dict[str, float] = {}
        norm = K1 * (1 - B + B * lengths / max(self.avg_length, 1e-9))
        for term, entries in postings.items():
            docs = np.fromiter((d for d, _ in entries), dtype=np.int32, count=len(entries))
            tf = np.fromiter((c for _, c in entries), dtype=np.float32, count=len(entries))
            # Precomputed term weights make a query a few gathers and adds.
            weights = tf * (K1 + 1) / (tf + norm[docs])
            self._postings[term] = (docs, weights.astype(np.float32))
            df = len(entries)
            self._idf[term] = math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        """The term's inverse document frequency (0 for unknown terms)."""
        return self._idf.get(term, 0.0)

    def search(
        self,
        terms: Sequence[str],
        k: int,
        weights: Sequence[float] | None = None,
        allowed: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """Top-k (document index, score); `allowed` is a boolean mask of documents to consider."""
        if not self.size or not terms:
            return []
        scores = np.zeros(self.size, dtype=np.float32)
        for position, term in enumerate(terms):
            posting = self._postings.get(term)
            if posting is None:
                continue
            weight = self._idf[term] * (weights[position] if weights is not None else 1.0)
            docs, term_weights = posting
            np.add.at(scores, docs, term_weights * weight)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if candidates.size == 0:
            return []
        if candidates.size > k:
            top = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        else:
            top = candidates
        ordered = top[np.argsort(-scores[top], kind="stable")]
        return [(int(doc), float(scores[doc])) for doc in ordered]
