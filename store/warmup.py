"""Start-up work done side by side: what an answering process needs before its first answer
(the embedding model, the store's vector indexes in memory, jieba's dictionary, the domain data)
loads on a few threads instead of one after another.

Most of each step runs outside the GIL (numpy expanding the model's matrices, Chroma reading its
HNSW files in Rust, file reads), so on two cores the start takes about as long as its longest
step rather than their sum (docs/benchmarks.md, "Where the start goes").
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from store.client import StoreHandle

log = logging.getLogger(__name__)


def warm_collections(store: StoreHandle) -> float:
    """Load the chunks' vector index now: Chroma reads a collection's HNSW index from disk on
    its first query (3 s at 100,000 chunks); and open the sentences' records, which hold no
    vectors of their own to load (store.sentences). Returns the seconds it took.

    One stored vector is the query, so nothing needs the model. A failure is only logged: the
    real query meets it again and reports it properly."""
    started = time.monotonic()
    try:
        sample = store.chunks.get(limit=1, include=["embeddings"])
        embeddings = sample.get("embeddings")
        if embeddings is not None and len(embeddings) > 0:
            store.chunks.query(query_embeddings=[list(embeddings[0])], n_results=1, include=[])
        # The first read of the sentences by id opens their segment (2 s at 1,000,000 chunks),
        # whatever the id.
        store.sentences.collection.get(ids=["warm-up"], include=[])
    except Exception as error:
        log.debug("warming the store's collections failed: %s", error)
    return time.monotonic() - started


class StartUp:
    """A few start-up steps running on their own threads; `result` waits for one."""

    def __init__(self, workers: int = 3) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="start-up")
        self._steps: dict[str, Future[Any]] = {}

    def start(self, name: str, step: Any, *args: Any) -> None:
        """Run `step(*args)` now, on a start-up thread."""
        self._steps[name] = self._pool.submit(step, *args)

    def result(self, name: str) -> Any:
        """What step `name` returned (its exception raised here, in the caller's thread)."""
        return self._steps[name].result()

    def finish(self, *, quietly: bool = False) -> None:
        """Wait for every step; the first exception, if any, is raised (unless `quietly`)."""
        try:
            for future in self._steps.values():
                error = future.exception()
                if error is not None and not quietly:
                    raise error
        finally:
            self._pool.shutdown(wait=True)
