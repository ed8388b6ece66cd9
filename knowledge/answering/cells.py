"""A comparison's cells: for each criterion, the vendor's own sentence the reader chooses among
that vendor's chunks, or nothing ("not stated") when no sentence is close enough.

The reader (answering/reader.py) scores every sentence of the vendor's chunks against the
criterion's phrasing in both languages, by meaning and by words, with its figure bonus; a cell
takes only a sentence that holds one of the criterion's keywords and states the vendor's own
claim (not advice or a question in its profile), and only when its meaning is close enough to
the criterion (CELL_COSINE, calibrated on the comparison evaluation, docs/evaluation.md). A
vendor with few chunks is read whole; one with many is read through retrieval per criterion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from knowledge.answering.citations import clean_for_display
from knowledge.answering.compose import MIN_SENTENCE_CHARS
from knowledge.answering.evidence import VENDOR_K, Evidence, Retrieve
from knowledge.answering.questions import QuestionKind
from knowledge.answering.reader import Candidate, SentenceVectors, candidates
from knowledge.answering.shapes import has_digit, has_figure
from knowledge.domain.criteria import CriteriaBook, QuerySet
from knowledge.domain.topics import Vendor
from knowledge.retrieval.retriever import Hit, Retrieval
from knowledge.retrieval.text import tokenize
from store.schema import Chunk

# A vendor with at most this many chunks is read whole: one read of its chunks serves every
# criterion, and no sentence is missed because retrieval ranked its chunk low.
READ_WHOLE_CHUNKS = 80
# Below this cosine with the criterion's phrasing a sentence is not about the criterion, even
# when it holds a keyword ("support" of a feature list). Calibrated on the comparison
# evaluation: cells that state the criterion sit at 0.80 and above, keyword-only matches below.
CELL_COSINE = 0.79
_HAN_MAGNITUDE = re.compile(r"[一二两三四五六七八九十百千万]+[万亿千]|[万亿]级")
_BOUND = re.compile(r"\bsub-second\b|亚秒", re.IGNORECASE)
# Digits inside a name are no figure: "1v1", "4G", "H5" (but "7x24" is one: x multiplies).
_NAMED_NUMBER = re.compile(r"(?<![\w.])\d*[A-WYZa-wyz]+\d*[A-Za-z]*(?![\w.])|\b\d+[A-WYZa-wyz]\w*")
# The reader's figure bonus serves the criteria whose cells state a figure (latency, scale); on
# others it would prefer any sentence with a number ("10,000 participants" for pricing).
FIGURE_KIND = QuestionKind(amount=True)
PLAIN_KIND = QuestionKind()


@dataclass(frozen=True)
class ReadingTools:
    """What cells are read with: retrieval, the index's term weights, stored sentence vectors,
    the query embedding and a vendor's chunks (None when it has more than `limit`)."""

    retrieve: Retrieve
    idf: Callable[[str], float]
    vectors: Callable[[Sequence[Chunk]], SentenceVectors]
    embed_query: Callable[[str], np.ndarray]
    vendor_chunks: Callable[[Sequence[str], int], list[Chunk] | None]
    embed_passages: Callable[[list[str]], np.ndarray] | None = None
    _queries: dict[str, np.ndarray] = field(default_factory=dict, compare=False)

    def query_vector(self, text: str) -> np.ndarray:
        """The embedding of a criterion's phrasing (the same few phrasings, embedded once)."""
        vector = self._queries.get(text)
        if vector is None:
            vector = self._queries[text] = self.embed_query(text)
        return vector


@dataclass(frozen=True, slots=True)
class _Scored:
    criterion: int
    candidate: Candidate


def read_cells(
    tools: ReadingTools, vendor: Vendor, criteria: CriteriaBook, rows: Sequence[QuerySet]
) -> list[Evidence | None]:
    """For each of `rows`, the vendor's own sentence on it, or None (not stated)."""
    chunks = tools.vendor_chunks(vendor.store_names, READ_WHOLE_CHUNKS)
    scored: list[_Scored] = []
    for row, criterion in enumerate(rows):
        for query in criterion.queries("en", both=True, per_lang=1):
            retrieval = _retrieval(tools, vendor, query, chunks)
            if not retrieval.hits:
                continue
            vectors = tools.vectors([hit.chunk for hit in retrieval.hits])
            kind = FIGURE_KIND if criterion.figure else PLAIN_KIND
            for candidate in candidates(retrieval, kind, tools.idf, vectors):
                if _answers(candidate, criterion, criteria):
                    scored.append(_Scored(row, candidate))
    return _assign(scored, len(rows))


def _retrieval(
    tools: ReadingTools, vendor: Vendor, query: str, chunks: list[Chunk] | None
) -> Retrieval:
    """The chunks to read for one phrasing: all of the vendor's (best first by their best
    sentence), or the vendor's chunks retrieval finds for it."""
    if chunks is None:
        hits: list[Hit] = []
        for label in vendor.store_names:
            found = tools.retrieve(
                query, filters={"vendor": label, "doc_type": "vendor"}, k=VENDOR_K
            )
            hits.extend(found.hits)
        vector = tools.query_vector(query)
        return Retrieval(
            query=query,
            hits=tuple(hits),
            terms=tuple(tokenize(query)),
            term_weights=tuple(1.0 for _ in tokenize(query)),
            vector=vector,
        )
    vector = tools.query_vector(query)
    vectors = tools.vectors(chunks)

    def closeness(chunk: Chunk) -> float:
        stored = vectors.get(chunk.id, ())
        return max((float(np.dot(v, vector)) for _, v in stored), default=0.0)

    ordered = sorted(chunks, key=lambda chunk: -closeness(chunk))
    terms = tuple(tokenize(query))
    return Retrieval(
        query=query,
        hits=tuple(Hit(chunk, 0.0, closeness(chunk), 0.0) for chunk in ordered),
        terms=terms,
        term_weights=tuple(1.0 for _ in terms),
        vector=vector,
    )


def _answers(candidate: Candidate, criterion: QuerySet, criteria: CriteriaBook) -> bool:
    """A sentence that can fill the criterion's cell: on it (a keyword), the vendor's own claim,
    a statement (not a heading or a lead-in), close enough in meaning."""
    sentence = candidate.sentence
    chunk = candidate.hit.chunk
    if sentence.lstrip().startswith("#"):
        return False
    display = clean_for_display(sentence)
    minimum = MIN_SENTENCE_CHARS["zh" if chunk.lang == "zh" else "en"]
    if len(display) < minimum or display.endswith((":", "：")):
        return False
    if not criterion.keyword_hits(sentence):
        return False
    if not criteria.is_vendor_claim(sentence, chunk.section):
        return False
    if criterion.figure and not states_figure(sentence):
        return False
    return candidate.cosine >= CELL_COSINE


def states_figure(sentence: str) -> bool:
    """True when the sentence gives a number: digits that are no part of a name ("1v1", "4G"),
    a Chinese magnitude ("千万级", "十万"), or a bound such as "sub-second"."""
    if has_figure(sentence):
        return True
    numbers = _NAMED_NUMBER.sub(" ", sentence)
    return has_digit(numbers) or bool(_HAN_MAGNITUDE.search(sentence) or _BOUND.search(sentence))


def _assign(scored: list[_Scored], rows: int) -> list[Evidence | None]:
    """Best first over every (criterion, sentence): each criterion takes its best sentence that
    no other criterion took, else its best even if shared (one sentence may state two things)."""
    cells: list[Evidence | None] = [None] * rows
    used: set[str] = set()
    ranked = sorted(scored, key=lambda item: -item.candidate.score)
    for item in ranked:
        key = clean_for_display(item.candidate.sentence).casefold()
        if cells[item.criterion] is None and key not in used:
            cells[item.criterion] = _evidence(item.candidate)
            used.add(key)
    for item in ranked:
        if cells[item.criterion] is None:
            cells[item.criterion] = _evidence(item.candidate)
    return cells


def _evidence(candidate: Candidate) -> Evidence:
    return Evidence(candidate.hit, candidate.sentence, candidate.score)
