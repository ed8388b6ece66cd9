"""Retrieval by single sentences (small-to-big), and the sentence vectors retrieval hands on."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from ingest.pipeline import Ingestor
from knowledge.domain import load_domain
from knowledge.retrieval import retriever as retriever_module
from knowledge.retrieval.index import LiveIndex
from knowledge.retrieval.retriever import HybridRetriever
from store.client import open_store
from store.schema import Chunk
from store.sentences import sentence_records

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
    Ingestor(store_settings, fake_embedder).sync([docs])  # type: ignore[arg-type]
    index = LiveIndex(open_store(store_settings))
    return HybridRetriever(index, fake_embedder, load_domain())  # type: ignore[arg-type]


def _target(hybrid: HybridRetriever) -> Chunk:
    return next(c for c in hybrid.index.snapshot().chunks if TARGET in c.text)


def test_sentence_vectors_of_live_chunks(hybrid: HybridRetriever) -> None:
    target = _target(hybrid)
    found = hybrid.sentence_vectors([target.id, "not-a-chunk"])
    assert list(found) == [target.id]
    assert [text for text, _ in found[target.id]] == [r.text for r in sentence_records([target])]


def test_the_sentence_ranking_keeps_live_chunks_of_the_nearest_sentences(
    hybrid: HybridRetriever, fake_embedder: object
) -> None:
    snapshot = hybrid.index.snapshot()
    target = _target(hybrid)
    vector = fake_embedder.embed_query(f"Money back: {TARGET}")  # type: ignore[attr-defined]
    # A half-written version's sentence, identical to the question: never ranked.
    ghost = Chunk(text=TARGET, source="ghost.md", chunk_index=0, section="Money back")
    records = sentence_records([ghost])
    hybrid.index.store.sentences.write(
        records,
        fake_embedder.embed_passages(  # type: ignore[attr-defined]
            [r.embed_text for r in records]
        ),
    )
    ranking = hybrid._by_sentence(snapshot, vector, None)
    assert ranking[0] == snapshot.positions[target.id]
    assert len(ranking) == len(set(ranking))
    assert all(snapshot.chunks[p].id != ghost.id for p in ranking)
    others = snapshot.mask({"source": snapshot.chunks[ranking[1]].source})
    assert hybrid._by_sentence(snapshot, vector, others) == [ranking[1]]


def test_a_chunk_with_one_answering_sentence_rises(
    hybrid: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target(hybrid)
    question = "Refunds arrive within how many business days?"

    def rank_and_score() -> tuple[int, float]:
        hits = hybrid.retrieve(question, k=13).hits
        ids = [hit.chunk.id for hit in hits]
        return ids.index(target.id), hits[ids.index(target.id)].score

    with_sentences = rank_and_score()
    monkeypatch.setattr(retriever_module, "SENTENCE_CANDIDATES", 0)
    without = rank_and_score()
    assert with_sentences[1] > without[1]
    # Its one sentence lifts it above chunks that match the question better as a whole.
    assert with_sentences[0] < without[0]


def test_a_store_without_sentences_retrieves_as_before(
    hybrid: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = hybrid.index.store
    store.sentences.delete_for_chunks([c.id for c in hybrid.index.snapshot().chunks])
    assert store.sentences.count() == 0
    assert hybrid.sentence_vectors([_target(hybrid).id]) == {}
    question = "When do refunds arrive?"
    hits = [hit.chunk.id for hit in hybrid.retrieve(question, k=3).hits]
    monkeypatch.setattr(retriever_module, "SENTENCE_CANDIDATES", 0)
    assert len(hits) == 3
    assert hits == [hit.chunk.id for hit in hybrid.retrieve(question, k=3).hits]
