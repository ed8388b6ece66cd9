"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank, de-duplicated and
spread across documents. Sentences are matched by the reader, within the chunks found here: a
ranking of the store's nearest single sentences (small-to-big) was measured and dropped, since
on both real corpora it cost recall (docs/evaluation.md)."""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from knowledge.domain import Domain
from knowledge.domain.glossary import Concept
from knowledge.domain.topics import VendorBook
from knowledge.retrieval.fusion import DENSE, LEXICAL, NAMES, Ranking, diversify, fuse
from knowledge.retrieval.index import LiveIndex, Snapshot
from knowledge.retrieval.scope import LATIN_WORD, NameScopes, named_forms
from knowledge.retrieval.text import tokenize
from knowledge.retrieval.translations import default_translations
from store.language import detect_lang, other_language
from store.schema import Chunk
from store.sentences import split_sentences

CANDIDATES = 40
EXPANSION_WEIGHT = 0.6
# The question's words in the other language (retrieval/translations) join the BM25 query, so
# the lexical side finds the other language's chunks too: each word's translations that the
# store uses share this weight (a dictionary gives alternatives, not one word's several senses).
TRANSLATION_WEIGHT = 0.6
VENDOR_PENALTY = 0.6
VENDOR_BOOST = 1.3
LINK_LIST_PENALTY = 0.3
LANGS = ("zh", "en")
LANG_CANDIDATES = 10
POOL = 200
GLOSS_POOL = 50  # the gloss is in the other language: most of its nearest chunks are too
# A name that fewer than half of the chunks mention narrows retrieval: it tells which part of
# the store the question is about.
DISTINCTIVE_SHARE = 0.5
NAME_BOOST = 1.5
# The documents of a product the question names (retrieval/scope): where the answer is, whatever
# the question's language.
SCOPE_BOOST = 3.0
MAX_SCOPE_FILTER = 2000
SENTENCE_CACHE_CHUNKS = 2000  # about 25 MB of vectors
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
    # The glossary terms of the domain the question uses ("SLA", "语聊房", "AEC"): a question in
    # the domain's own words is about the domain, however it is phrased, and a sentence in the
    # other language that uses a term's other form holds the question's words for it.
    concepts: tuple[Concept, ...] = ()
    # The question's own terms with their words in the other language (retrieval/translations).
    translations: tuple[tuple[str, frozenset[str]], ...] = ()
    vector: np.ndarray | None = None  # the query's embedding, for sentence scoring


class HybridRetriever:
    """Dense + lexical retrieval over the live chunks of one store."""

    def __init__(self, index: LiveIndex, embedder: QueryEmbedder, domain: Domain) -> None:
        self.index = index
        self.embedder = embedder
        self.glossary = domain.glossary
        self.vendors = domain.vendors
        # The vendors a question can name: the seed's, or (set by the assistant) those merged
        # with the store's, so a vendor's own aliases ("鹊桥音视频") name it too.
        self.vendor_book: Callable[[], VendorBook] = lambda: self.vendors
        # Sentence vectors of recently read chunks, stored or embedded here (chunk ids are
        # content-derived, so an entry never goes stale); bounded, and thread-safe for the bot.
        self._sentences: OrderedDict[str, list[tuple[str, np.ndarray]]] = OrderedDict()
        self._sentences_lock = threading.Lock()
        self.scopes = NameScopes(index.lexical.versions_using)

    def retrieve(self, query: str, k: int = 5, filters: dict[str, str] | None = None) -> Retrieval:
        """The k best chunks for `query`, restricted to chunks matching `filters`."""
        snapshot = self.index.snapshot()
        if not snapshot.live:
            return Retrieval(query=query, hits=())
        own_terms = tokenize(query)
        concepts = self.glossary.concepts(query)
        translations = default_translations().of_all(own_terms)
        expansions = self.glossary.expand(query)
        expansion_terms = [t for t in tokenize(" ".join(expansions)) if t not in own_terms]
        terms = own_terms + expansion_terms
        weights = [1.0] * len(own_terms) + [EXPANSION_WEIGHT] * len(expansion_terms)
        if TRANSLATION_WEIGHT:
            extra, extra_weights = translated_terms(translations, terms, snapshot.lexical.idf)
            terms, weights = terms + extra, weights + extra_weights

        vector = self.embedder.embed_query(query)
        records: dict[str, Chunk] = {}
        # One wide dense query serves every part's ranking (a language, a product's documents)
        # that it holds enough of; Chroma is asked with a filter only for a part it runs out of,
        # since a filtered query scans (half a second at 100,000 chunks).
        pool = self._dense(snapshot, vector, _where(filters), records, POOL)
        dense = pool[:CANDIDATES]
        found = snapshot.lexical.search(terms, CANDIDATES, weights=weights, filters=filters)
        lexical = [(chunk.id, score) for chunk, score in found]
        shapes = {chunk.id: chunk.terms for chunk, _ in found}
        named = named_vendors(query, snapshot, self.vendor_book())
        rankings = [
            Ranking([chunk_id for chunk_id, _ in dense], DENSE),
            Ranking([chunk_id for chunk_id, _ in lexical], LEXICAL),
        ]

        def add_dense(
            where: dict[str, Any] | None,
            family: str = DENSE,
            top: int = 10,
            keep: Callable[[Chunk], bool] | None = None,
            by: tuple[np.ndarray, list[tuple[str, float]]] | None = None,
        ) -> None:
            """A dense ranking of the chunks `keep` takes, from the pool of `by` (a vector and
            its pool; the question's by default), or asked of Chroma with `where` when the
            pool runs short of them."""
            nonlocal dense
            query_vector, own_pool = by or (vector, pool)
            own = [hit for hit in own_pool if keep(records[hit[0]])] if keep else []
            short = keep is None or len(own_pool) < snapshot.lexical.size
            if len(own) < top and short and where is not None:
                own = self._dense(snapshot, query_vector, where, records)
            rankings.append(Ranking([chunk_id for chunk_id, _ in own[:top]], family))
            if by is None:  # another vector's cosines are not the question's
                seen = {chunk_id for chunk_id, _ in dense}
                dense = dense + [hit for hit in own if hit[0] not in seen]

        def add_lexical(
            terms: list[str],
            weights: list[float],
            where: dict[str, str],
            within: frozenset[str],
            family: str = LEXICAL,
            required: str | None = None,
        ) -> None:
            found = snapshot.lexical.search(
                terms,
                CANDIDATES,
                weights=weights,
                filters=where,
                within=within or None,
                required=required,
            )
            shapes.update((chunk.id, chunk.terms) for chunk, _ in found)
            rankings.append(Ranking([chunk.id for chunk, _ in found], family))

        if named and not filters:
            # The named vendor's own chunks compete even when generic chunks crowd the top.
            add_dense({"vendor": {"$in": sorted(named)}}, keep=lambda c: c.vendor in named)
        names_typed = named_forms(query)
        scope = self.scopes.scope(
            (term for form in names_typed for term in tokenize(form)[:1]), snapshot.live
        )
        # A scope's ranking the pool runs short of asks Chroma with the scope's sources as a
        # filter, unless there are too many of them to filter by.
        in_scope = [{"source": {"$in": sorted(scope)}}] if len(scope) <= MAX_SCOPE_FILTER else []
        if not (filters and "lang" in filters):
            # A multilingual model ranks text in the question's language above the same content
            # in the other: each language's best chunks rank on their own (in the documents of a
            # product the question names, too), and the fusion takes a chunk's best place.
            for lang in LANGS:
                where = _where({**(filters or {}), "lang": lang})
                add_dense(where, top=LANG_CANDIDATES, keep=lambda c, lang=lang: c.lang == lang)
                if scope:
                    where = (
                        _where({**(filters or {}), "lang": lang}, *in_scope) if in_scope else None
                    )
                    add_dense(
                        where,
                        top=LANG_CANDIDATES,
                        keep=lambda c, lang=lang: c.lang == lang and c.source in scope,
                    )
            # The question in the other language's words: its names as typed (both languages
            # write "WebRTC" alike) and its words' translations, in that language's chunks.
            crossing = [term for form in names_typed for term in tokenize(form)]
            extra, extra_weights = translated_terms(
                translations, crossing, snapshot.lexical.idf, weight=1.0
            )
            other_lang = other_language(detect_lang(query))
            other = {**(filters or {}), "lang": other_lang}
            # A store with no text in the other language has nothing for a rendering to find.
            held = snapshot.lexical.holds_language(other_lang)
            gloss = default_translations().gloss(query, other_lang) if held else ""
            if gloss:
                # ... and rendered word by word (its gloss), ranked by meaning among that
                # language's chunks: the model matches a question across languages weakly (a
                # Chinese question's English answer ranked 400th-2,000th on real pages) and
                # its gloss closely (1st-120th).
                glossed = self.embedder.embed_query(gloss)
                gloss_pool = self._dense(snapshot, glossed, _where(filters), records, GLOSS_POOL)
                add_dense(
                    _where(other),
                    top=LANG_CANDIDATES,
                    keep=lambda c: c.lang == other_lang,
                    by=(glossed, gloss_pool),
                )
            for within in {frozenset(), scope}:
                add_lexical(crossing + extra, [1.0] * len(crossing) + extra_weights, other, within)
        names = distinctive_names(query, snapshot.lexical.idf, snapshot.lexical.size)
        # Only a name marks the documents about it: a rare ordinary word ("behind") marks
        # documents of the question's language, not those about its subject.
        naming = self.scopes.naming(
            [tokenize(name)[0] for name in names if name in names_typed], snapshot.live
        )
        for name in names:
            # The question names something specific (a product, a setting): the chunks that
            # use it rank of their own, by the question's words, whatever its language.
            add_lexical(terms, weights, filters or {}, frozenset(), NAMES, tokenize(name)[0])
        fused = fuse(rankings)
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        missing = [chunk_id for chunk_id in fused if chunk_id not in dense_scores]
        dense_scores.update(self._fetch(vector, missing, records))
        # A chunk whose record is gone was deleted since the index was read: it cannot be cited.
        # One found by the lexical index alone may be of an old version, or outside the filters.
        fused = {
            chunk_id: score
            for chunk_id, score in fused.items()
            if (chunk := records.get(chunk_id)) is not None
            and snapshot.is_live(chunk.source, chunk.content_hash)
            and _matches(chunk, filters)
        }

        for chunk_id in fused:
            chunk = records[chunk_id]
            if chunk.source in naming:
                fused[chunk_id] *= NAME_BOOST
            if chunk.source in scope:
                fused[chunk_id] *= SCOPE_BOOST
            if _mostly_links(chunk.text):
                fused[chunk_id] *= LINK_LIST_PENALTY  # a list of sources answers nothing itself
            if chunk.doc_type == "vendor":
                # A question about a vendor wants that vendor's documents; one that names no
                # vendor wants guidance, not a vendor's pitch.
                fused[chunk_id] *= VENDOR_BOOST if chunk.vendor in named else VENDOR_PENALTY
        ordered = sorted(fused, key=lambda chunk_id: -fused[chunk_id])
        shapes.update(snapshot.terms([c for c in ordered if c not in shapes]))
        chosen = diversify(records, shapes, ordered, k)
        hits = tuple(
            Hit(
                chunk=records[chunk_id],
                score=fused[chunk_id],
                dense=dense_scores.get(chunk_id, 0.0),
                lexical=lexical_scores.get(chunk_id, 0.0),
            )
            for chunk_id in chosen
        )
        return Retrieval(
            query=query,
            hits=hits,
            terms=tuple(terms),
            term_weights=tuple(weights),
            top_dense=max((hit.dense for hit in hits), default=0.0),
            concepts=concepts,
            translations=translations,
            vector=vector,
        )

    def sentence_vectors(self, chunks: Sequence[Chunk]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Each chunk's sentences with their unit vectors (the reader scores them by meaning):
        those ingest stored (store.sentences), else embedded here, for a store written before
        sentences were stored and not yet re-ingested. Both are kept for recently read chunks:
        a comparison reads the same vendor chunks for each of its cells, and a warm bot embeds
        only what it has not seen."""
        found: dict[str, list[tuple[str, np.ndarray]]] = {}
        with self._sentences_lock:
            for chunk in chunks:
                if chunk.id in self._sentences:
                    self._sentences.move_to_end(chunk.id)
                    found[chunk.id] = self._sentences[chunk.id]
        missing = [chunk for chunk in chunks if chunk.id not in found]
        stored = self.index.store.sentences.of_chunks(missing) if missing else {}
        self._remember(stored)
        found |= stored
        embed = getattr(self.embedder, "embed_passages", None)
        if embed is None or len(found) == len(chunks):
            return found
        texts: list[str] = []
        owners: list[tuple[str, str]] = []
        for chunk in chunks:
            if chunk.id in found:
                continue
            heading = chunk.section.split(" > ")[-1] if chunk.section else ""
            for sentence in split_sentences(chunk.text):
                texts.append(f"{heading}: {sentence}" if heading else sentence)
                owners.append((chunk.id, sentence))
        if not texts:
            return found
        vectors = np.asarray(embed(texts), dtype=np.float32)
        fresh: dict[str, list[tuple[str, np.ndarray]]] = {}
        for (chunk_id, sentence), vector in zip(owners, vectors, strict=True):
            fresh.setdefault(chunk_id, []).append((sentence, vector))
        self._remember(fresh)
        return found | fresh

    def _remember(self, sentences: dict[str, list[tuple[str, np.ndarray]]]) -> None:
        with self._sentences_lock:
            self._sentences.update(sentences)
            while len(self._sentences) > SENTENCE_CACHE_CHUNKS:
                self._sentences.popitem(last=False)

    def _dense(
        self,
        snapshot: Snapshot,
        vector: np.ndarray,
        where: dict[str, Any] | None,
        records: dict[str, Chunk],
        n: int = CANDIDATES,
    ) -> list[tuple[str, float]]:
        collection = self.index.store.chunks
        result = collection.query(
            query_embeddings=[vector.tolist()],
            n_results=n * 2,  # Chroma returns fewer when the store holds fewer
            where=where,
            include=["distances", "documents", "metadatas"],
        )
        ids = (result.get("ids") or [[]])[0]
        distances = (result.get("distances") or [[]])[0]
        documents = (result.get("documents") or [[]])[0]
        metadatas = (result.get("metadatas") or [[]])[0]
        hits: list[tuple[str, float]] = []
        for chunk_id, distance, text, metadata in zip(
            ids, distances, documents, metadatas, strict=False
        ):
            chunk = Chunk.from_record(chunk_id, text or "", dict(metadata or {}))
            if snapshot.is_live(chunk.source, chunk.content_hash):  # not an old or half version
                records[chunk_id] = chunk
                hits.append((chunk_id, 1.0 - float(distance)))
        return hits[:n]

    def _fetch(
        self, vector: np.ndarray, chunk_ids: Sequence[str], records: dict[str, Chunk]
    ) -> dict[str, float]:
        """Read the records of chunks only the lexical side found, with their cosines."""
        cosines: dict[str, float] = {}
        for chunk, cosine in read_chunks(self.index.store.chunks, chunk_ids, vector):
            records[chunk.id] = chunk
            if cosine is not None:
                cosines[chunk.id] = cosine
        return cosines


def read_chunks(
    collection: Any, chunk_ids: Sequence[str], vector: np.ndarray | None
) -> list[tuple[Chunk, float | None]]:
    """The stored chunks of these ids (absent ones left out), each with its cosine to `vector`
    (None when there is no vector, or the store returned no embedding for it)."""
    if not chunk_ids:
        return []
    found = collection.get(ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"])
    embeddings = found.get("embeddings")
    documents = found.get("documents") or []
    metadatas = found.get("metadatas") or []
    read: list[tuple[Chunk, float | None]] = []
    for position, chunk_id in enumerate(found.get("ids") or []):
        text = documents[position] if position < len(documents) else ""
        metadata = metadatas[position] if position < len(metadatas) else None
        chunk = Chunk.from_record(chunk_id, text or "", dict(metadata or {}))
        cosine = None
        if vector is not None and embeddings is not None and position < len(embeddings):
            embedding = np.asarray(embeddings[position], dtype=np.float32)
            cosine = float(np.dot(embedding, vector))
        read.append((chunk, cosine))
    return read


def named_vendors(query: str, snapshot: Snapshot, vendors: VendorBook) -> set[str]:
    """Canonical names of the store's vendors a query mentions, by name or alias (声网 → Agora);
    vendors of the user's own documents, which the book may not know, by their names."""
    return {vendor for vendor in snapshot.vendor_names if vendors.names_vendor(query, vendor)}


def distinctive_names(
    query: str, idf: Callable[[str], float], size: int, limit: int = 2
) -> list[str]:
    """The Latin words of a query that few chunks of the store use ("NimbusRTC",
    "jitter_buffer", "WHIP", "tampered"), rarest first, as typed: each narrows retrieval to what
    the question is about, across languages (a Chinese question names an English product the
    same way)."""
    if size < 20:
        return []
    rare = DISTINCTIVE_SHARE * size
    floor = math.log(1 + (size - rare + 0.5) / (rare + 0.5))
    scored: dict[str, float] = {}
    for match in LATIN_WORD.finditer(query):
        form = match.group(0)
        terms = tokenize(form)
        if len(form) < 3 or len(terms) != 1:
            continue
        weight = idf(terms[0])
        if weight > floor:  # present in the store (idf 0 is absent), and in few of its chunks
            scored[form] = max(scored.get(form, 0.0), weight)
    return sorted(scored, key=lambda form: -scored[form])[:limit]


def translated_terms(
    translations: Sequence[tuple[str, frozenset[str]]],
    taken: Sequence[str],
    idf: Callable[[str], float],
    weight: float = TRANSLATION_WEIGHT,
) -> tuple[list[str], list[float]]:
    """The translations to add to a BM25 query, with their weights: those the store uses
    (idf above 0), not already in the query, each word's share of `weight` split by the
    square root of how many there are."""
    seen = set(taken)
    terms: list[str] = []
    weights: list[float] = []
    for _, others in translations:
        present = [other for other in sorted(others) if other not in seen and idf(other) > 0]
        seen.update(present)
        for other in present:
            terms.append(other)
            weights.append(weight / math.sqrt(len(present)))
    return terms, weights


def _mostly_links(text: str) -> bool:
    """True for a chunk that is mostly URLs (a document's list of sources)."""
    linked = sum(len(url) for url in _URL.findall(text))
    return linked > 0.4 * max(len(text), 1)


def _where(filters: dict[str, str] | None, *more: dict[str, Any]) -> dict[str, Any] | None:
    clauses = [{key: value} for key, value in (filters or {}).items()] + list(more)
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _matches(chunk: Chunk, filters: dict[str, str] | None) -> bool:
    """True when the chunk's metadata has every filtered value."""
    metadata = chunk.metadata()
    return all(metadata.get(key) == value for key, value in (filters or {}).items())
