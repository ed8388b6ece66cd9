"""Catching a lexical index up with the store's registry of live versions, incrementally.

Every process that answers keeps its own index (no shared disk between bot replicas): on start
and whenever the registry changes, it compares the versions the index holds in full with the
registry's live ones, fetches only the chunks of documents that changed, and drops documents that
were withdrawn. An index already in step costs one read of the registry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from store.client import StoreHandle
from store.lexical_index import LexicalIndex
from store.schema import Chunk, chunks_from_page

log = logging.getLogger(__name__)
PAGE = 5000
# Past this many changed documents, one pass over the whole collection beats a query per document.
BULK_DOCUMENTS = 200


@dataclass(frozen=True)
class CatchUp:
    """What one catch-up did."""

    live: dict[str, str]
    fetched_documents: int
    fetched_chunks: int
    withdrawn: int
    seconds: float


def catch_up(
    store: StoreHandle, index: LexicalIndex, live: dict[str, str] | None = None
) -> CatchUp:
    """Bring `index` in step with the store's live versions (read now unless given)."""
    started = time.monotonic()
    index.refresh()
    live = store.registry.live_versions() if live is None else live
    held = index.versions()
    changed = {source: digest for source, digest in live.items() if held.get(source) != digest}
    gone = [source for source in held if source not in live]
    index.withdraw(gone)
    chunks = 0
    if changed:
        counts: dict[str, int] = dict.fromkeys(changed, 0)
        pages = _bulk(store, changed) if len(changed) > BULK_DOCUMENTS else _each(store, changed)
        for page in pages:
            index.upsert(page)
            chunks += len(page)
            for chunk in page:
                counts[chunk.source] += 1
        index.publish(sorted(changed.items()), counts=counts)
    seconds = time.monotonic() - started
    if changed or gone:
        log.info(
            "lexical index caught up: %d documents (%d chunks) fetched, %d withdrawn in %.1f s",
            len(changed),
            chunks,
            len(gone),
            seconds,
        )
    return CatchUp(live, len(changed), chunks, len(gone), seconds)


def _each(store: StoreHandle, changed: dict[str, str]) -> Iterator[list[Chunk]]:
    """The chunks of each changed version, one query per document."""
    for source, digest in changed.items():
        page = store.chunks.get(
            where={"$and": [{"source": source}, {"content_hash": digest}]},
            include=["documents", "metadatas"],
        )
        yield chunks_from_page(page)


def _bulk(store: StoreHandle, changed: dict[str, str]) -> Iterator[list[Chunk]]:
    """The chunks of the changed versions, from one paged pass over the collection."""
    offset = 0
    while True:
        page = store.chunks.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
        records = chunks_from_page(page)
        wanted = [chunk for chunk in records if changed.get(chunk.source) == chunk.content_hash]
        if wanted:
            yield wanted
        if len(page.get("ids") or []) < PAGE:
            return
        offset += PAGE
