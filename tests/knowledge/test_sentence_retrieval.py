"""Retrieval by single sentences (small-to-big), and the sentence vectors retrieval hands on."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from knowledge.retrieval.retriever import HybridRetriever
from store.schema import Chunk
from store.sentences import sentence_records
from tests.knowledge.support import retriever_over, stored_chunks

TARGET = "Refunds arrive within seven business days."


def _write_docs(folder: Path) -> None:
    folder.mkdir()
    filler = " ".join(
        f"Paragraph filler {n} talks about dashboards, exports, colour themes and avatars."
        for n in range(8)
    )
    (folder / "billing.md").write_text(f"# Billing\n\n## Money back\n\n{filler} {TARGET}\n")
    things = "parcels letters badges laptops chairs tickets keys phones cables desks mugs maps"
    for n, thing in enumerate(things.split()):
        (folder / f"other{n}.md").write_text(
            f"# Other {n}\n\nHow many business days until the {thing} arrive? Within {n} days.\n"
        )


@pytest.fixture
def hybrid(tmp_path: Path, store_settings: Settings, fake_embedder: object) -> HybridRetriever:
    docs = tmp_path / "docs"
    _write_docs(docs)
    return retriever_over(docs, store_settings, fake_embedder)


def _target(hybrid: HybridRetriever) -> Chunk:
    return next(c for c in stored_chunks(hybrid) if TARGET in c.text)


class _CountingEmbedder:
    """The fake embedder, counting the passages it is asked to embed."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.passages = 0

    def embed_query(self, text: str) -> object:
        return self.inner.embed_query(text)  # type: ignore[attr-defined]

    def embed_passages(self, texts: list[str]) -> object:
        self.passages += len(texts)
        return self.inner.embed_passages(texts)  # type: ignore[attr-defined]


def test_sentence_vectors_come_from_the_store(hybrid: HybridRetriever) -> None:
    target = _target(hybrid)
    counting = _CountingEmbedder(hybrid.embedder)
    hybrid.embedder = counting  # type: ignore[assignment]
    found = hybrid.sentence_vectors([target])
    assert list(found) == [target.id]
    assert [text for text, _ in found[target.id]] == [r.text for r in sentence_records([target])]
    assert counting.passages == 0  # nothing embedded at question time


def test_a_chunks_stored_sentences_are_read_once_and_then_remembered(
    hybrid: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A comparison reads the same vendor chunks for each of its cells.
    target = _target(hybrid)
    sentences = hybrid.index.store.sentences
    asked: list[list[str]] = []
    real = sentences.of_chunks

    def spy(chunks: list[Chunk]) -> dict[str, list[tuple[str, object]]]:
        asked.append([chunk.id for chunk in chunks])
        return real(chunks)  # type: ignore[return-value]

    monkeypatch.setattr(sentences, "of_chunks", spy)
    first = hybrid.sentence_vectors([target])
    again = hybrid.sentence_vectors([target])
    assert asked == [[target.id]]
    assert [text for text, _ in again[target.id]] == [text for text, _ in first[target.id]]


def test_a_chunk_stored_without_sentences_is_embedded_once(hybrid: HybridRetriever) -> None:
    stray = Chunk(text="Stray sentence one. Stray sentence two.", source="x.md", chunk_index=0)
    counting = _CountingEmbedder(hybrid.embedder)
    hybrid.embedder = counting  # type: ignore[assignment]
    first = hybrid.sentence_vectors([stray])
    assert [text for text, _ in first[stray.id]] == ["Stray sentence one.", "Stray sentence two."]
    hybrid.sentence_vectors([stray])
    assert counting.passages == 2


def test_a_sentence_of_a_version_not_live_is_never_read(
    hybrid: HybridRetriever, fake_embedder: object
) -> None:
    target = _target(hybrid)
    # A half-written version: its chunk stored with the question's own vector (the nearest of
    # all) and its sentences, but never published. It is never retrieved, so never read.
    ghost = Chunk(
        text="A draft: money comes back in a week.",
        source="ghost.md",
        chunk_index=0,
        section="Money back",
        content_hash="unpublished",
    )
    store = hybrid.index.store
    store.chunks.upsert(
        ids=[ghost.id],
        documents=[ghost.text],
        metadatas=[ghost.metadata()],
        embeddings=[hybrid.embedder.embed_query(TARGET)],
    )
    records = sentence_records([ghost])
    store.sentences.write(
        records,
        fake_embedder.embed_passages(  # type: ignore[attr-defined]
            [r.embed_text for r in records]
        ),
    )
    everything = store.chunks.count() + 1  # k past the store's size: no chunk is cut for room
    hits = [hit.chunk.id for hit in hybrid.retrieve(TARGET, k=everything).hits]
    assert target.id in hits and ghost.id not in hits
    other = next(c for c in stored_chunks(hybrid) if c.source != target.source)
    filtered = hybrid.retrieve(TARGET, k=13, filters={"source": other.source}).hits
    assert filtered and all(hit.chunk.source == other.source for hit in filtered)


def test_a_store_without_sentences_retrieves_the_same_chunks(hybrid: HybridRetriever) -> None:
    question = "When do refunds arrive?"
    before = [hit.chunk.id for hit in hybrid.retrieve(question, k=3).hits]
    store = hybrid.index.store
    store.sentences.delete_for_chunks([c.id for c in stored_chunks(hybrid)])
    assert store.sentences.count() == 0
    assert before == [hit.chunk.id for hit in hybrid.retrieve(question, k=3).hits]
