"""Query embeddings kept for reuse: briefings and comparisons retrieve with the same few dozen
fixed phrasings (a criterion's, a guide section's) every time, and a warm bot should not embed
them again for each briefing. Questions people type rarely repeat; the cache stays small."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

MAX_QUERIES = 512  # × 384 float32 ≈ 0.8 MB


class CachedQueries:
    """An embedding model whose `embed_query` remembers the last MAX_QUERIES texts; everything
    else is the wrapped model's."""

    def __init__(self, embedder: Any, size: int = MAX_QUERIES) -> None:
        self._embedder = embedder
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        """The unit-length embedding of one query, computed once per distinct text."""
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                return vector
        vector = self._embedder.embed_query(text)
        vector.setflags(write=False)  # shared between callers: nobody may change it
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return vector

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)
