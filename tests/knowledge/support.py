"""Helpers shared by the retrieval tests."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from ingest.pipeline import Ingestor
from knowledge.domain import load_domain
from knowledge.retrieval.index import LiveIndex
from knowledge.retrieval.retriever import HybridRetriever
from store.client import open_store
from store.lexical_index import open_lexical_index
from store.schema import Chunk


def retriever_over(docs: Path, settings: Settings, embedder: object) -> HybridRetriever:
    """`docs` ingested with `embedder` (the fake model) and retrieved from with it."""
    Ingestor(settings, embedder).sync([docs])  # type: ignore[arg-type]
    index = LiveIndex(open_store(settings), open_lexical_index(settings))
    return HybridRetriever(index, embedder, load_domain())  # type: ignore[arg-type]


def stored_chunks(retriever: HybridRetriever) -> list[Chunk]:
    """Every chunk the retriever's store holds."""
    records = retriever.index.store.chunks.get(include=["documents", "metadatas"])
    return [
        Chunk.from_record(chunk_id, text or "", dict(metadata or {}))
        for chunk_id, text, metadata in zip(
            records["ids"], records["documents"] or [], records["metadatas"] or [], strict=True
        )
    ]
