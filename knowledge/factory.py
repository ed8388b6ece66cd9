"""Builds the configured Assistant once, at the edge (`__main__`), from the settings."""

from __future__ import annotations

import logging
from pathlib import Path

from config.settings import Settings
from knowledge.assistant import KnowledgeAssistant
from knowledge.briefing import Briefer
from knowledge.criteria import default_criteria
from knowledge.errors import StoreUnavailable
from knowledge.glossary import default_glossary
from knowledge.index import LiveIndex
from knowledge.retriever import HybridRetriever
from knowledge.topics import default_books
from store.client import StoreConnectionError, open_store, with_retries
from store.embedding import get_embedder
from store.lexical_index import open_lexical_index

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


def open_assistant(
    settings: Settings, store_dir: Path | None = None, *, connect_attempts: int = 5
) -> KnowledgeAssistant:
    """The assistant for the configured store and model (an LLM answerer when configured)."""
    try:
        store = with_retries(lambda: open_store(settings, store_dir), attempts=connect_attempts)
    except StoreConnectionError as error:
        raise StoreUnavailable(str(error)) from None
    embedder = get_embedder(settings.embedding_model_path)
    _warn_about_other_models(store.registry.embedders(), embedder.identity)
    lexical = open_lexical_index(settings, store_dir)
    retriever = HybridRetriever(LiveIndex(store, lexical), embedder, default_glossary())
    assistant = KnowledgeAssistant(retriever)
    # Briefings and comparisons retrieve through the assistant: one retrieval path.
    vendors, scenarios = default_books()
    assistant.briefer = Briefer(assistant, vendors, scenarios, default_criteria())
    if settings.llm_provider != "none":
        from knowledge.llm import LLMAssistant

        # Same retrieval and the extractive answer as its fallback; `ask` goes through the LLM.
        return LLMAssistant.from_settings(assistant, settings)
    return assistant
