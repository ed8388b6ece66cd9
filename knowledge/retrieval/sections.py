"""Each hit read with the rest of its section (small-to-big at the level of a section).

A section longer than a chunk is cut into several, and the one that matches the question best
is not always the one that holds the answer: the heading and the topic sentence in one chunk,
the steps or the figure in the next (a "How do I cap a room's size?" heading above the step
that names the setting; a browser-support paragraph whose codec line falls in the next
chunk). Retrieval ranks chunks; the reader therefore reads, after the retrieved chunks, the
other chunks of their sections, whose sentences compete on the same scores with a lower rank
prior. Other sections of the same document are not read: measured, they bring more sentences
that outscore the answer than answers (docs/evaluation.md, ninth round).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from knowledge.retrieval.index import LiveIndex
from knowledge.retrieval.retriever import Hit, Retrieval, read_chunks

# The other chunks of a hit's section nearest to it (its neighbours, in a section cut into
# many), as many as this: 2, 4 and 12 gave the same answers on the three corpora, and each one
# more is read at question time ...
CHUNKS_PER_SECTION = 2
# ... looked for in documents of at most this many chunks: a longer one is not read through at
# question time.
MAX_DOCUMENT_CHUNKS = 200


def with_sections(index: LiveIndex, retrieval: Retrieval) -> Retrieval:
    """The retrieval with the other live chunks of its hits' sections after its own hits."""
    hits = retrieval.hits
    sections = {(hit.chunk.source, hit.chunk.section) for hit in hits if hit.chunk.section}
    if not sections:
        return retrieval
    snapshot = index.snapshot()
    held = {hit.chunk.id for hit in hits}
    versions = {
        (hit.chunk.source, hit.chunk.content_hash)
        for hit in hits
        if hit.chunk.section and snapshot.is_live(hit.chunk.source, hit.chunk.content_hash)
    }
    ids: list[str] = []
    for source, content_hash in sorted(versions):
        others = index.lexical.version_ids(source, content_hash) - held
        if len(others) <= MAX_DOCUMENT_CHUNKS:
            ids += sorted(others)
    if not ids:
        return retrieval
    # The metadata first (small): the neighbours are chosen by it, and only their text and
    # vectors are read (a long section holds many more chunks than are kept).
    found = index.store.chunks.get(ids=ids, include=["metadatas"])
    siblings = [
        (
            chunk_id,
            str(metadata.get("source")),
            str(metadata.get("section")),
            _chunk_index(metadata),
        )
        for chunk_id, metadata in zip(
            found.get("ids") or [], found.get("metadatas") or [], strict=False
        )
        if metadata and (metadata.get("source"), metadata.get("section")) in sections
    ]
    wanted = _nearest_first(hits, siblings)
    read = {
        chunk.id: Hit(chunk=chunk, score=0.0, dense=cosine or 0.0, lexical=0.0)
        for chunk, cosine in read_chunks(index.store.chunks, wanted, retrieval.vector)
        if snapshot.is_live(chunk.source, chunk.content_hash)
    }
    return replace(retrieval, hits=hits + tuple(read[i] for i in wanted if i in read))


def _chunk_index(metadata: Mapping[str, object]) -> int:
    value = metadata.get("chunk_index")
    return value if isinstance(value, int) else 0


def _nearest_first(hits: Sequence[Hit], siblings: Sequence[tuple[str, str, str, int]]) -> list[str]:
    """For each hit in order, the ids of the other chunks of its section nearest to it."""
    ordered: list[str] = []
    taken: set[str] = set()
    for hit in hits:
        mine = [
            (abs(index - hit.chunk.chunk_index), chunk_id)
            for chunk_id, source, section, index in siblings
            if chunk_id not in taken and (source, section) == (hit.chunk.source, hit.chunk.section)
        ]
        for _, chunk_id in sorted(mine)[:CHUNKS_PER_SECTION]:
            taken.add(chunk_id)
            ordered.append(chunk_id)
    return ordered
