"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank, de-duplicated and
spread across documents. Besides whole chunks, the question is matched against single sentences
(small-to-big): a chunk holding one sentence that answers it competes even when the rest of the
chunk speaks of other things."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from knowledge.domain import Domain
from knowledge.domain.topics import VendorBook
from knowledge.retrieval.index import LiveIndex, Snapshot
from knowledge.retrieval.text import tokenize
from store.schema import Chunk
from store.sentences import split_sentences

RRF_K = 60
CANDIDATES = 40
SENTENCE_CANDIDATES = 40
# The sentence ranking counts half a ranking in the fusion: at a full one, Chinese sentences of the
# bundled corpus crowded a Chinese question's English answer out of the top 5 (e5 favours its own
# language sentence by sentence more than chunk by chunk); at half, no bundled question lost.
SENTENCE_WEIGHT = 0.5
EXPANSION_WEIGHT = 0.6
MAX_PER_SOURCE = 2
DUPLICATE_JACCARD = 0.8
VENDOR_PENALTY = 0.6
VENDOR_BOOST = 1.3
LINK_LIST_PENALTY = 0.3
_URL = re.compile(r"https?://\S+")


class QueryEmbedder(Protocol):
    """What retrieval needs of the embedding model."""

    def embed_query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with its fused score and the evidence behind it."""

    chunk: Chunk
    score: float
    dense: float  # cosine similarity of query and chunk (0 when unknown)
    lexical: float  # BM25 score (0 when the chunk shares no term with the query)


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The hits for one query, and the query terms used (for sentence selection later)."""

    query: str
    hits: tuple[Hit, ...]
    terms: tuple[str, ...] = ()
    term_weights: tuple[float, ...] = ()
    top_dense: float = 0.0
    coverage: float = 0.0  # idf-weighted share of the query's own terms found in the top hits
    # The same share, found in one sentence (with its heading) of the top hits: a question is
    # answered by a sentence that speaks of what it asks, not by words scattered over a page.
    sentence_coverage: float = 0.0
    # How many glossary terms of the domain the question uses ("SLA", "语聊房", "AEC"): a
    # question in the domain's own words is about the domain, however it is phrased.
    domain_terms: int = 0


class HybridRetriever:
    """Dense + lexical retrieval over the live chunks of one store."""

    def __init__(self, index: LiveIndex, embedder: QueryEmbedder, domain: Domain) -> None:
        self.index = index
        self.embedder = embedder
        self.glossary = domain.glossary
        self.vendors = domain.vendors

    def retrieve(self, query: str, k: int = 5, filters: dict[str, str] | None = None) -> Retrieval:
        """The k best chunks for `query`, restricted to chunks matching `filters`."""
        snapshot = self.index.snapshot()
        if not snapshot.chunks:
            return Retrieval(query=query, hits=())
        own_terms = tokenize(query)
        domain_terms = len(self.glossary.matches(query))
        expansions = self.glossary.expand(query)
        expansion_terms = [t for t in tokenize(" ".join(expansions)) if t not in own_terms]
        terms = own_terms + expansion_terms
        weights = [1.0] * len(own_terms) + [EXPANSION_WEIGHT] * len(expansion_terms)

        vector = self.embedder.embed_query(query)
        dense = self._dense(snapshot, vector, _where(filters))
        lexical = snapshot.lexical.search(
            terms, CANDIDATES, weights=weights, allowed=snapshot.mask(filters)
        )
        named = named_vendors(query, snapshot, self.vendors)
        rankings = [[position for position, _ in dense], [position for position, _ in lexical]]
        by_sentence = self._by_sentence(snapshot, vector, snapshot.mask(filters))
        if named and not filters:
            # The named vendor's own chunks compete even when generic chunks crowd the top.
            own = self._dense(snapshot, vector, {"vendor": {"$in": sorted(named)}})
            rankings.append([position for position, _ in own[:10]])
            seen = {position for position, _ in dense}
            dense = dense + [hit for hit in own if hit[0] not in seen]
        fused = _fuse(*rankings)
        for rank, position in enumerate(by_sentence):
            fused[position] = fused.get(position, 0.0) + SENTENCE_WEIGHT / (RRF_K + rank + 1)
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        missing = [p for p in fused if p not in dense_scores]
        dense_scores.update(self._cosines(snapshot, vector, missing))

        for position in fused:
            chunk = snapshot.chunks[position]
            if _mostly_links(chunk.text):
                fused[position] *= LINK_LIST_PENALTY  # a list of sources answers nothing itself
            if chunk.doc_type == "vendor":
                # A question about a vendor wants that vendor's documents; one that names no
                # vendor wants guidance, not a vendor's pitch.
                fused[position] *= VENDOR_BOOST if chunk.vendor in named else VENDOR_PENALTY
        ordered = sorted(fused, key=lambda position: -fused[position])
        chosen = _diversify(snapshot, ordered, k)
        hits = tuple(
            Hit(
                chunk=snapshot.chunks[position],
                score=fused[position],
                dense=dense_scores.get(position, 0.0),
                lexical=lexical_scores.get(position, 0.0),
            )
            for position in chosen
        )
        return Retrieval(
            query=query,
            hits=hits,
            terms=tuple(terms),
            term_weights=tuple(weights),
            top_dense=max((hit.dense for hit in hits), default=0.0),
            coverage=_coverage(snapshot, own_terms, hits[:3], chosen[:3]),
            sentence_coverage=_sentence_coverage(snapshot, own_terms, hits[:3]),
            domain_terms=domain_terms,
        )

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Each chunk's sentences in order with their unit vectors, embedded at ingest (see
        store.sentences); a chunk stored without them is absent."""
        return self.index.store.sentences.for_chunks(chunk_ids)

    def _by_sentence(
        self, snapshot: Snapshot, vector: np.ndarray, mask: np.ndarray | None
    ) -> list[int]:
        """Live chunks in the order of their best sentence among the store's nearest ones."""
        ranking: dict[int, None] = {}
        for chunk_id, _, _ in self.index.store.sentences.query(vector, SENTENCE_CANDIDATES):
            position = snapshot.positions.get(chunk_id)  # None: an old or half-written version
            if position is not None and (mask is None or mask[position]):
                ranking.setdefault(position)
        return list(ranking)

    def _dense(
        self, snapshot: Snapshot, vector: np.ndarray, where: dict[str, Any] | None
    ) -> list[tuple[int, float]]:
        collection = self.index.store.chunks
        result = collection.query(
            query_embeddings=[vector.tolist()],
            n_results=CANDIDATES * 2,  # Chroma returns fewer when the store holds fewer
            where=where,
            include=["distances"],
        )
        ids = (result.get("ids") or [[]])[0]
        distances = (result.get("distances") or [[]])[0]
        hits: list[tuple[int, float]] = []
        for chunk_id, distance in zip(ids, distances, strict=False):
            position = snapshot.positions.get(chunk_id)
            if position is not None:  # not live: an old or half-written version
                hits.append((position, 1.0 - float(distance)))
        return hits[:CANDIDATES]

    def _cosines(
        self, snapshot: Snapshot, vector: np.ndarray, positions: Sequence[int]
    ) -> dict[int, float]:
        if not positions:
            return {}
        ids = [snapshot.chunks[position].id for position in positions]
        records = self.index.store.chunks.get(ids=ids, include=["embeddings"])
        embeddings = records.get("embeddings")
        if embeddings is None:
            return {}
        by_id = dict(zip(records.get("ids") or [], embeddings, strict=False))
        return {
            position: float(np.dot(np.asarray(by_id[chunk_id], dtype=np.float32), vector))
            for position, chunk_id in zip(positions, ids, strict=True)
            if chunk_id in by_id
        }


def named_vendors(query: str, snapshot: Snapshot, vendors: VendorBook) -> set[str]:
    """Canonical names of the store's vendors a query mentions, by name or alias (声网 → Agora);
    vendors of the user's own documents, which the book may not know, by their names."""
    return {vendor for vendor in snapshot.vendor_names if vendors.names_vendor(query, vendor)}


def _mostly_links(text: str) -> bool:
    """True for a chunk that is mostly URLs (a document's list of sources)."""
    linked = sum(len(url) for url in _URL.findall(text))
    return linked > 0.4 * max(len(text), 1)


def _where(filters: dict[str, str] | None) -> dict[str, Any] | None:
    if not filters:
        return None
    clauses = [{key: value} for key, value in filters.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _fuse(*rankings: Sequence[int]) -> dict[int, float]:
    """Reciprocal rank fusion: rank agreement matters, raw scores of unlike systems do not."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, position in enumerate(ranking):
            fused[position] = fused.get(position, 0.0) + 1.0 / (RRF_K + rank + 1)
    return fused


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _diversify(snapshot: Snapshot, ordered: Sequence[int], k: int) -> list[int]:
    """Drop near-duplicates, and let no document take more than MAX_PER_SOURCE of the k places
    while other documents have relevant chunks."""
    chosen: list[int] = []
    shapes: list[set[str]] = []
    per_source: dict[str, int] = {}
    deferred: list[int] = []
    for position in ordered:
        chunk = snapshot.chunks[position]
        shape = set(snapshot.terms[position]) if snapshot.terms else set(tokenize(chunk.text))
        if any(_jaccard(shape, other) >= DUPLICATE_JACCARD for other in shapes):
            continue
        if per_source.get(chunk.source, 0) >= MAX_PER_SOURCE:
            deferred.append(position)
            continue
        chosen.append(position)
        shapes.append(shape)
        per_source[chunk.source] = per_source.get(chunk.source, 0) + 1
        if len(chosen) == k:
            return chosen
    for position in deferred:
        if len(chosen) == k:
            break
        chosen.append(position)
    return chosen


def _term_weight(snapshot: Snapshot, term: str) -> float:
    """A term's idf; a word the store never uses weighs most, being the most specific of all
    (a question about a poem is not answered by sentences that share its other words)."""
    return snapshot.lexical.idf(term) or math.log(1 + (snapshot.lexical.size + 0.5) / 0.5)


def _sentence_coverage(snapshot: Snapshot, terms: Sequence[str], hits: Sequence[Hit]) -> float:
    """The best idf-weighted share of the query's terms that one sentence of the top hits holds."""
    unique = list(dict.fromkeys(terms))
    if not unique or not hits:
        return 0.0
    weights = {term: _term_weight(snapshot, term) for term in unique}
    total = sum(weights.values())
    best = 0.0
    for hit in hits:
        heading = set(tokenize(f"{hit.chunk.title} {hit.chunk.section}"))
        for sentence in split_sentences(hit.chunk.text):
            present = set(tokenize(sentence)) | heading
            best = max(best, sum(w for term, w in weights.items() if term in present) / total)
    return best


def _coverage(
    snapshot: Snapshot, terms: Sequence[str], hits: Sequence[Hit], positions: Sequence[int]
) -> float:
    """Share of the query's idf weight that the top hits contain: a question about something the
    store never mentions leaves most of its informative terms uncovered."""
    unique = list(dict.fromkeys(terms))
    if not unique or not hits:
        return 0.0
    found: set[str] = set()
    for hit, position in zip(hits, positions, strict=False):
        if snapshot.terms:
            found.update(snapshot.terms[position])
        else:
            found.update(tokenize(f"{hit.chunk.title} {hit.chunk.section} {hit.chunk.text}"))
    total = sum(_term_weight(snapshot, term) for term in unique)
    covered = sum(_term_weight(snapshot, term) for term in unique if term in found)
    return covered / total if total else 0.0
