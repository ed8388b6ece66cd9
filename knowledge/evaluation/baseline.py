"""The naive baseline: langchain + Chroma top-k with the same model, no lexical search, no
de-duplication, no abstention. What a weekend RAG prototype would do."""

from __future__ import annotations

import time
from collections.abc import Callable

from knowledge.api import Answer, Citation
from knowledge.evaluation.metrics import Outcome
from knowledge.evaluation.questions import EvalQuestion
from knowledge.retrieval.langchain_adapters import E5Embeddings
from store.client import StoreHandle
from store.embedding import Embedder


def run_baseline(
    store: StoreHandle,
    embedder: Embedder,
    questions: list[EvalQuestion],
    k: int = 5,
    name: Callable[[str], str] = str,
) -> list[Outcome]:
    """Top-k similarity search through langchain-chroma; the "answer" is the top chunk, cited."""
    from langchain_chroma import Chroma

    vectors = Chroma(
        client=store.client,  # the same client and collection our pipeline wrote
        collection_name=store.chunks.name,
        embedding_function=E5Embeddings(embedder),
    )
    outcomes = []
    for question in questions:
        started = time.perf_counter()
        documents = vectors.similarity_search(question.question, k=k)
        seconds = time.perf_counter() - started
        citations = tuple(
            Citation(
                n=i + 1,
                source=str(doc.metadata.get("source", "")),
                title=str(doc.metadata.get("title", "")),
                section=str(doc.metadata.get("section", "")),
                chunk_id=str(doc.id or ""),
                quote=doc.page_content,
            )
            for i, doc in enumerate(documents[:1])
        )
        text = f"{documents[0].page_content} [1]" if documents else ""
        outcomes.append(
            Outcome(
                question=question,
                sources=tuple(name(str(doc.metadata.get("source", ""))) for doc in documents),
                answer=Answer(text=text, citations=citations, abstained=not documents),
                seconds=seconds,
                cited=tuple(name(citation.source) for citation in citations),
            )
        )
    return outcomes
