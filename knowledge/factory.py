"""Builds the configured Assistant once, at the edge (`__main__`), from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings
from knowledge.api import Assistant, StoreUnavailable
from knowledge.assistant import KnowledgeAssistant
from knowledge.domain import load_domain
from knowledge.retrieval.index import LiveIndex
from knowledge.retrieval.query_cache import CachedQueries
from knowledge.retrieval.retriever import HybridRetriever
from store.client import StoreConnectionError, StoreHandle, open_store, with_retries
from store.embedding import Embedder, get_embedder
from store.lexical_index import open_lexical_index
from store.tokens import prepare as prepare_tokenizer
from store.warmup import StartUp, warm_collections

log = logging.getLogger(__name__)


def _warn_about_other_models(embedded_by: dict[str, str], identity: str) -> None:
    """Vectors from another model are not comparable with this model's queries: say so, and
    how to fix it, rather than answer quietly worse."""
    others = sorted(source for source, embedder in embedded_by.items() if embedder != identity)
    if others:
        log.warning(
            "%d of %d documents in the store were embedded by another model than %s (e.g. %s); "
            "run `python -m ingest` on them again to re-embed them",
            len(others),
            len(embedded_by),
            identity,
            others[0],
        )


def _quietly(what: str, step: Callable[[], object]) -> None:
    """A start-up read done ahead of the first question (the lexical index's catch-up, the
    store's vendors); a failure is only logged: the first question tries again and reports it
    as any store error is reported."""
    try:
        step()
    except Exception as error:
        log.warning("%s at start failed: %s", what, error)


@dataclass(frozen=True, slots=True)
class Knowledge:
    """The configured assistant with the store and the model it answers from (for the
    evaluation and the benchmarks, which read the store beside it)."""

    assistant: Assistant
    store: StoreHandle
    embedder: Embedder


def open_assistant(
    settings: Settings, store_dir: Path | None = None, *, connect_attempts: int = 5
) -> Assistant:
    """The assistant for the configured store and model (an LLM answerer when configured)."""
    return open_knowledge(settings, store_dir, connect_attempts=connect_attempts).assistant


def open_knowledge(
    settings: Settings, store_dir: Path | None = None, *, connect_attempts: int = 5
) -> Knowledge:
    """The assistant, its store and its embedding model, opened once.

    The model, the domain data and jieba load on start-up threads while the store opens; the
    chunks' vector index and the sentences' records (store.warmup), the lexical index's
    catch-up and the store's vendors are read there too, before the first question."""
    start = StartUp()
    start.start("embedder", get_embedder, settings.embedding_model_path)
    start.start("domain", load_domain)
    start.start("jieba", prepare_tokenizer)
    try:
        try:
            store = with_retries(lambda: open_store(settings, store_dir), attempts=connect_attempts)
        except StoreConnectionError as error:
            raise StoreUnavailable(detail=str(error)) from None
        start.start("vectors", warm_collections, store)
        lexical = open_lexical_index(settings, store_dir)
        # The registry is read once: for the models' check and for the lexical index's first
        # catch-up, which runs beside the vector indexes' loading.
        index = LiveIndex(store, lexical)
        records = index.read_records()
        start.start("lexical", _quietly, "catching the lexical index up", index.snapshot)
        embedder: Embedder = start.result("embedder")
        _warn_about_other_models(
            {source: record.embedder for source, record in records.items()}, embedder.identity
        )
        domain = start.result("domain")
        # Briefings and comparisons retrieve with fixed phrasings: their embeddings are kept.
        retriever = HybridRetriever(index, CachedQueries(embedder), domain)
        extractive = KnowledgeAssistant(retriever, domain)
        # Every question resolves vendors against those the store names: a read of the chunks'
        # metadata (1.6 s at 1,000,000 chunks), done beside the rest of the start.
        start.start("vendors", _quietly, "reading the store's vendors", extractive.vendors)
    except BaseException:
        start.finish(quietly=True)  # the error at hand is the one to report
        raise
    start.finish()
    assistant: Assistant = extractive
    if settings.llm_provider != "none":
        from knowledge.llm import LLMAssistant

        # Same retrieval and the extractive answer as its fallback; `ask` goes through the LLM.
        assistant = LLMAssistant.from_settings(extractive, settings)
    return Knowledge(assistant, store, embedder)
