"""Our store and model as LangChain components: Embeddings, and the hybrid retriever."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from knowledge.retrieval.retriever import HybridRetriever
from store.embedding import Embedder


class E5Embeddings(Embeddings):
    """LangChain Embeddings over our embedder (e5's query/passage prompts applied)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passage embeddings."""
        return self.embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Query embedding."""
        return self.embedder.embed_query(text).tolist()


class KnowledgeRetriever(BaseRetriever):
    """The hybrid retriever (dense + BM25, fused, de-duplicated) for use in LangChain chains."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    k: int = 5
    filters: dict[str, str] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        retrieval = self.retriever.retrieve(query, k=self.k, filters=self.filters)
        return [
            Document(
                page_content=hit.chunk.text,
                id=hit.chunk.id,
                metadata=hit.chunk.metadata() | {"score": hit.score, "dense": hit.dense},
            )
            for hit in retrieval.hits
        ]
