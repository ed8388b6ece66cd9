"""Sentences of the stored chunks: the one sentence splitter, and their vectors, kept at ingest.

Ingest and knowledge share only `store/`, so the splitter lives here: a sentence the reader
quotes is exactly a sentence ingest embedded.

What is embedded per sentence: e5's passage prompt (as for chunks, see store/embedding.py) over
the sentence prefixed by its chunk's innermost section heading, "Latency: Keep it under 200 ms."
The heading keeps a sentence's topic ("it", "the values below" otherwise say nothing about what
they measure) without drowning the sentence in a whole section path. Sentences with fewer than
MIN_SENTENCE_CHARS letters or digits (a stray bullet, "1.", "…") get no record: they answer
nothing, and their vectors would match any short question.

Records live in a companion collection (`sentence_collection_name`), one per sentence: id
"{chunk_id}:{i}" with i the sentence's position in `split_sentences(chunk.text)`, metadata
{"chunk_id", "i", "vector"}, the sentence as document. Chunk ids are derived from content, so a
chunk id names one text forever: readers ask only for live chunk ids, and the sentences of old
versions are invisible until ingest deletes them with their chunks. Bump SENTENCE_VERSION when
the splitter or what is embedded changes: documents recorded with another version are
re-embedded by the next ingest.

The vector is packed into the metadata (float16, base64: `pack_vector`), and the record's own
embedding is a constant: sentences are only ever read by chunk id, never searched, and Chroma
loads a collection's whole vector index into memory on first use (300 MB for the 150,000
sentences of 100,000 chunks), where reading a few records' metadata costs nothing of the kind.
float16 keeps a cosine to within 0.001.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from store.language import HAN
from store.schema import SECTION_SEPARATOR, Chunk

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)
SENTENCE_VERSION = 2  # 2: vectors packed in the metadata (version 1 kept them as embeddings)
MIN_SENTENCE_CHARS = 4
# Chunk ids per `$in` filter: Chroma copes with more, but a where clause of thousands of ids is
# slow to parse and, on a server, a large request body.
IDS_PER_CALL = 500
WRITE_BATCH = 1000

# Sentence ends: Chinese full stops, and English ones followed by space or the end (not "e.g.",
# "3.5", "99.95%").
_SENTENCE_END = re.compile(
    r"(?<=[。！？；])[”」』\"')）]*|(?<![A-Z][a-z]\.)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)"
    r"(?<=[a-z0-9%)\]\"'][.!?])(?=\s+[A-Z0-9\"“(\[" + HAN + "])"
)


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk, verbatim (each is a substring of `text`), list items kept whole."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(line):
            end = match.end()
            piece = line[start:end].strip()
            if piece:
                sentences.append(piece)
            start = end
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


def sentence_collection_name(collection_name: str) -> str:
    """The companion collection holding the sentence vectors of a chunk collection."""
    return f"{collection_name}__sentence_vectors"


def legacy_sentence_collection_name(collection_name: str) -> str:
    """Where SENTENCE_VERSION 1 kept them, as searchable embeddings (ingest drops it)."""
    return f"{collection_name}__sentences"


def drop_legacy_collection(client: Any, collection_name: str) -> bool:
    """Delete the SENTENCE_VERSION 1 collection when the store still has it (True if it did):
    nothing reads it any more, and its documents are re-embedded by the ingest that calls this."""
    legacy = legacy_sentence_collection_name(collection_name)
    if legacy not in {getattr(c, "name", c) for c in client.list_collections()}:
        return False
    client.delete_collection(legacy)
    log.info(
        "dropped %s: sentence vectors now live in %s",
        legacy,
        sentence_collection_name(collection_name),
    )
    return True


# Chroma stores an embedding with every record; these records need none of their own.
_PLACEHOLDER_VECTOR = [0.0]


def pack_vector(vector: Any) -> str:
    """A unit vector as metadata text: float16, little-endian, base64."""
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def unpack_vector(text: str) -> np.ndarray:
    """The float32 unit vector `pack_vector` wrote (renormalised after the rounding)."""
    vector = np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass(frozen=True, slots=True)
class SentenceRecord:
    """One sentence of one chunk, and the text its vector is computed from."""

    chunk_id: str
    i: int  # position in split_sentences(chunk.text)
    text: str  # the sentence, verbatim
    embed_text: str  # what the model embeds: the sentence with its heading

    @property
    def id(self) -> str:
        """The record's id in the sentence collection."""
        return f"{self.chunk_id}:{self.i}"


def innermost_heading(section: str) -> str:
    """The last heading of a section path ("Voice room > Latency" → "Latency")."""
    return section.rsplit(SECTION_SEPARATOR, 1)[-1].strip()


def _substantial(sentence: str) -> bool:
    return sum(1 for char in sentence if char.isalnum()) >= MIN_SENTENCE_CHARS


def sentence_records(chunks: Iterable[Chunk]) -> list[SentenceRecord]:
    """The sentences of `chunks` that get a vector, in chunk and sentence order."""
    records: list[SentenceRecord] = []
    for chunk in chunks:
        heading = innermost_heading(chunk.section)
        for i, sentence in enumerate(split_sentences(chunk.text)):
            if not _substantial(sentence):
                continue
            embed_text = f"{heading}: {sentence}" if heading and heading != sentence else sentence
            records.append(SentenceRecord(chunk.id, i, sentence, embed_text))
    return records


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _in(chunk_ids: Sequence[str]) -> dict[str, Any]:
    return {"chunk_id": {"$in": list(chunk_ids)}}


class SentenceStore:
    """The sentence vectors of the store's chunks, in their own Chroma collection."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def write(self, records: Sequence[SentenceRecord], vectors: Any) -> None:
        """Store `records` with their vectors (row i of `vectors` for records[i]).

        Written before their document is published, so a live chunk always has its sentences.
        A chunk's earlier records that the new ones do not replace (a changed splitter) are
        deleted after the write, so a live chunk is never left without sentences meanwhile."""
        if len(records) != len(vectors):
            raise ValueError(f"{len(records)} sentences but {len(vectors)} vectors")
        for start in range(0, len(records), WRITE_BATCH):
            batch = records[start : start + WRITE_BATCH]
            rows = vectors[start : start + WRITE_BATCH]
            self.collection.upsert(
                ids=[record.id for record in batch],
                documents=[record.text for record in batch],
                metadatas=[
                    {"chunk_id": record.chunk_id, "i": record.i, "vector": pack_vector(row)}
                    for record, row in zip(batch, rows, strict=True)
                ],
                embeddings=[_PLACEHOLDER_VECTOR for _ in batch],
            )
        written = {record.id for record in records}
        chunk_ids = list(dict.fromkeys(record.chunk_id for record in records))
        surplus = [
            record_id
            for batch in _batches(chunk_ids, IDS_PER_CALL)
            for record_id in self.collection.get(where=_in(batch), include=[])["ids"]
            if record_id not in written
        ]
        for batch in _batches(surplus, WRITE_BATCH):
            self.collection.delete(ids=list(batch))

    def delete_for_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Delete every sentence of these chunks (none is an error)."""
        for batch in _batches(list(chunk_ids), IDS_PER_CALL):
            self.collection.delete(where=_in(batch))

    def for_chunks(self, chunk_ids: Sequence[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Each chunk's sentences in order, with float32 unit vectors; a chunk without sentence
        records (stored before they were kept) is absent, so the caller falls back."""
        unique = list(dict.fromkeys(chunk_ids))
        return self._read({"where": _in(batch)} for batch in _batches(unique, IDS_PER_CALL))

    def of_chunks(self, chunks: Sequence[Chunk]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """As `for_chunks`, looked up by record id (the chunk's id and each sentence's position
        in its text): a primary-key read, where a filter on chunk_id scans the metadata index
        (at 1,000,000 chunks 1.5 ms against 145 ms for ten chunks' sentences)."""
        unique = {chunk.id: chunk for chunk in chunks}.values()
        ids = [
            f"{chunk.id}:{i}" for chunk in unique for i in range(len(split_sentences(chunk.text)))
        ]
        return self._read({"ids": list(batch)} for batch in _batches(ids, IDS_PER_CALL))

    def _read(self, queries: Iterable[dict[str, Any]]) -> dict[str, list[tuple[str, np.ndarray]]]:
        found: dict[str, list[tuple[int, str, np.ndarray]]] = {}
        for query in queries:
            try:
                records = self.collection.get(**query, include=["documents", "metadatas"])
            except Exception as error:
                if not _stale_segment(error):
                    raise
                # Embedded Chroma serves records from segments loaded when this process opened
                # the store; those another process wrote since are "not found" until it reopens.
                log.warning("sentence vectors unreadable in this process (%s); skipping", error)
                continue
            for text, metadata in zip(
                records.get("documents") or [], records.get("metadatas") or [], strict=True
            ):
                packed = metadata.get("vector") if metadata else None
                if not isinstance(packed, str):
                    continue
                found.setdefault(str(metadata["chunk_id"]), []).append(
                    (_int(metadata.get("i")), text or "", unpack_vector(packed))
                )
        return {
            chunk_id: [(text, vector) for _, text, vector in sorted(rows, key=lambda r: r[0])]
            for chunk_id, rows in found.items()
        }

    def count(self) -> int:
        """How many sentence records the store holds."""
        return self.collection.count()


def _stale_segment(error: BaseException) -> bool:
    from chromadb.errors import InternalError

    return isinstance(error, InternalError) and "error finding id" in str(error).lower()


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float | str) else 0
