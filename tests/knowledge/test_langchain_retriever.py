"""Our hybrid retriever as a LangChain BaseRetriever, over a small store."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from knowledge.retrieval.langchain_adapters import KnowledgeRetriever
from tests.knowledge.support import retriever_over


def test_invoke_returns_documents_with_our_metadata(
    tmp_path: Path, store_settings: Settings, fake_embedder: object
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "voice.md").write_text("# Voice rooms\n\nEcho cancellation matters in voice rooms.\n")
    (docs / "vendor.md").write_text(
        "---\ndoc_type: vendor\nvendor: NimbusRTC\n---\n"
        "# NimbusRTC\n\nNimbusRTC states a 99.95% SLA.\n"
    )
    hybrid = retriever_over(docs, store_settings, fake_embedder)
    retriever = KnowledgeRetriever(retriever=hybrid, k=2)
    documents = retriever.invoke("echo cancellation in voice rooms")
    assert documents[0].metadata["source"].endswith("voice.md")
    assert {"section", "doc_type", "chunk_index", "score"} <= set(documents[0].metadata)
    only_vendor = KnowledgeRetriever(retriever=hybrid, filters={"vendor": "NimbusRTC"})
    assert [d.metadata["vendor"] for d in only_vendor.invoke("SLA")] == ["NimbusRTC"]
