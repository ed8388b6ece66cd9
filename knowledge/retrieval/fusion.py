"""How the rankings of one question become one order: weighted reciprocal rank fusion by
family, then a top k without near-duplicates, spread across documents.

Several rankings come from the same evidence: the dense ranking of the whole store, of each
language and of a named product's documents all rank by the same cosine. Summed, they would
count that cosine three or four times and outvote the lexical ranking, and whichever language
the question shares would win every place. So the rankings of one family count once: a chunk
takes its best place among them (an English chunk first among the English ones stands as
high as the Chinese chunk first overall), and the families are summed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.retrieval.text import tokenize
from store.schema import Chunk

RRF_K = 60
MAX_PER_SOURCE = 2
DUPLICATE_JACCARD = 0.8

DENSE = "dense"  # by the chunk's cosine to the question
LEXICAL = "lexical"  # by BM25, in the question's words or in their translations
NAMES = "names"  # chunks that spell a name the question uses


@dataclass(frozen=True, slots=True)
class Ranking:
    """One ranking of chunk ids, best first, of one family, with its weight in the fusion."""

    ids: Sequence[str]
    family: str
    weight: float = 1.0


def fuse(rankings: Sequence[Ranking]) -> dict[str, float]:
    """Reciprocal rank fusion where each family counts once: within a family a chunk keeps its
    best weighted reciprocal rank; the families' are summed."""
    best: dict[str, dict[str, float]] = {}
    for ranking in rankings:
        family = best.setdefault(ranking.family, {})
        for rank, chunk_id in enumerate(ranking.ids):
            score = ranking.weight / (RRF_K + rank + 1)
            if score > family.get(chunk_id, 0.0):
                family[chunk_id] = score
    fused: dict[str, float] = {}
    for family in best.values():
        for chunk_id, score in family.items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + score
    return fused


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def diversify(
    records: dict[str, Chunk],
    shapes: dict[str, tuple[str, ...]],
    ordered: Sequence[str],
    k: int,
) -> list[str]:
    """Drop near-duplicates, and let no document take more than MAX_PER_SOURCE of the k places
    while other documents have relevant chunks."""
    chosen: list[str] = []
    seen_shapes: list[set[str]] = []
    per_source: dict[str, int] = {}
    deferred: list[str] = []
    for chunk_id in ordered:
        chunk = records[chunk_id]
        terms = shapes.get(chunk_id)
        shape = set(terms) if terms is not None else set(tokenize(chunk.text))
        if any(_jaccard(shape, other) >= DUPLICATE_JACCARD for other in seen_shapes):
            continue
        if per_source.get(chunk.source, 0) >= MAX_PER_SOURCE:
            deferred.append(chunk_id)
            continue
        chosen.append(chunk_id)
        seen_shapes.append(shape)
        per_source[chunk.source] = per_source.get(chunk.source, 0) + 1
        if len(chosen) == k:
            return chosen
    for chunk_id in deferred:
        if len(chosen) == k:
            break
        chosen.append(chunk_id)
    return chosen
