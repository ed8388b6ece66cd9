"""The document registry: which version (content hash) of each source is the live one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

# Chroma stores a vector with every record; the registry needs none, so a constant stands in.
_PLACEHOLDER_VECTOR = [0.0, 0.0]


def _number(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _record_id(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class LiveRecord:
    """What the registry holds of one live document."""

    content_hash: str
    embedder: str  # the identity of the model that embedded it ("" if unrecorded)
    sentences: int  # the store.sentences SENTENCE_VERSION of its sentences (0: none kept)
    text_format: int  # the ingest text format its chunks were cut with (0: unrecorded)


class DocumentRegistry:
    """Maps each ingested source to its live content hash, in a small companion collection."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection

    def records(self) -> dict[str, LiveRecord]:
        """Every live source and its record, in one read (a reader that needs several of the
        fields below asks once: at a million chunks the registry holds 20,000 documents)."""
        records = self._collection.get(include=["metadatas"])
        found: dict[str, LiveRecord] = {}
        for metadata in records.get("metadatas") or []:
            if metadata:
                found[str(metadata.get("source", ""))] = LiveRecord(
                    str(metadata.get("content_hash", "")),
                    str(metadata.get("embedder", "")),
                    _number(metadata.get("sentences", 0)),
                    _number(metadata.get("text_format", 0)),
                )
        return found

    def live_versions(self) -> dict[str, str]:
        """Every live source and its content hash."""
        return {source: record.content_hash for source, record in self.records().items()}

    def embedders(self) -> dict[str, str]:
        """Every live source and the identity of the model that embedded it ("" if unrecorded:
        written before identities were kept)."""
        return {source: record.embedder for source, record in self.records().items()}

    def sentence_versions(self) -> dict[str, int]:
        """Every live source and the store.sentences SENTENCE_VERSION its sentences were stored
        with (0: published before sentences were kept, so it has none)."""
        return {source: record.sentences for source, record in self.records().items()}

    def text_formats(self) -> dict[str, int]:
        """Every live source and the ingest text format its chunks were cut with (0: published
        before formats were recorded)."""
        return {source: record.text_format for source, record in self.records().items()}

    def live_version(self, source: str) -> str | None:
        """The live content hash of one source, or None."""
        records = self._collection.get(ids=[_record_id(source)], include=["metadatas"])
        metadatas = records.get("metadatas") or []
        if not metadatas or not metadatas[0]:
            return None
        return str(metadatas[0].get("content_hash", ""))

    def publish(self, source: str, content_hash: str, embedder: str = "") -> None:
        """Make `content_hash` the live version of `source` (one atomic record write)."""
        self.publish_many([(source, content_hash)], embedder)

    def publish_many(
        self,
        versions: list[tuple[str, str]],
        embedder: str = "",
        sentences: int = 0,
        text_format: int = 0,
    ) -> None:
        """Publish several documents' versions, embedded by the model `embedder` names, with
        their sentences stored as store.sentences version `sentences` (0: none) and their chunks
        cut by ingest text format `text_format`, in one call.
        Each document switches by one record write, so even a call cut short leaves every
        document wholly old or wholly new."""
        if not versions:
            return
        self._collection.upsert(
            ids=[_record_id(source) for source, _ in versions],
            documents=[source for source, _ in versions],
            metadatas=[
                {
                    "source": source,
                    "content_hash": digest,
                    "embedder": embedder,
                    "sentences": sentences,
                    "text_format": text_format,
                }
                for source, digest in versions
            ],
            embeddings=[_PLACEHOLDER_VECTOR for _ in versions],
        )

    def withdraw(self, source: str) -> None:
        """Hide `source` entirely (before its chunks are deleted)."""
        self._collection.delete(ids=[_record_id(source)])

    def count(self) -> int:
        """How many sources are live."""
        return self._collection.count()
