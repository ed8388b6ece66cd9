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


def retriever_over(docs: Path, settings: Settings, embedder: object) -> HybridRetriever:
    """`docs` ingested with `embedder` (the fake model) and retrieved from with it."""
    Ingestor(settings, embedder).sync([docs])  # type: ignore[arg-type]
    index = LiveIndex(open_store(settings), open_lexical_index(settings))
    return HybridRetriever(index, embedder, load_domain())  # type: ignore[arg-type]
