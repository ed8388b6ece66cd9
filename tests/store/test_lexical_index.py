"""The persistent lexical index: BM25 as before, only live versions, caught up incrementally."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from ingest.pipeline import Ingestor
from knowledge.retrieval.lexical import BM25Index
from store.client import open_store
from store.lexical_index import LexicalIndex, index_text, open_lexical_index
from store.lexical_sync import catch_up
from store.schema import Chunk
from store.tokens import tokenize

CORPUS = Path(__file__).resolve().parents[2] / "knowledge" / "corpus"
QUERIES = (
    "What matters for a voice room?",
    "语聊房的回声消除怎么测试?",
    "How is bypass streaming billed?",
    "SLA uptime credits",
    "秀场直播连麦 PK 的延迟要求是多少?",
)


def _corpus_chunks() -> list[Chunk]:
    """Paragraphs of the bundled corpus as chunks: real text in both languages."""
    chunks = []
    for path in sorted(CORPUS.glob("*.md")):
        paragraphs = [p for p in path.read_text("utf-8").split("\n\n") if len(p) > 40]
        for position, paragraph in enumerate(paragraphs):
            chunks.append(
                Chunk(text=paragraph, source=path.name, chunk_index=position, content_hash="v1")
            )
    return chunks


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[LexicalIndex, list[Chunk]]:
    chunks = _corpus_chunks()
    index = LexicalIndex(tmp_path_factory.mktemp("lexical") / "index")
    index.upsert(chunks)
    index.publish(sorted({(chunk.source, "v1") for chunk in chunks}))
    return index, chunks


def test_scores_are_the_bm25_of_the_in_memory_index(
    corpus_index: tuple[LexicalIndex, list[Chunk]],
) -> None:
    index, chunks = corpus_index
    reference = BM25Index([index_text(chunk) for chunk in chunks])
    for query in QUERIES:
        terms = tokenize(query)
        weights = [1.0] * len(terms)
        expected = [(chunks[d].id, s) for d, s in reference.search(terms, 10, weights=weights)]
        found = [(chunk.id, score) for chunk, score in index.search(terms, 10, weights=weights)]
        # Tantivy stores lengths in one byte (exact up to 40 terms, a few per cent off above):
        # the same chunks rank first, with scores within a few per cent.
        assert found[0][0] == expected[0][0], query
        overlap = {i for i, _ in found} & {i for i, _ in expected}
        assert len(overlap) >= 8, query
        by_id = dict(expected)
        for chunk_id, score in found:
            if chunk_id in by_id:
                assert score == pytest.approx(by_id[chunk_id], rel=0.06), query
        for term in terms:
            assert index.idf(term) == pytest.approx(reference.idf(term), rel=1e-6)


def test_term_weights_scale_each_terms_share(
    corpus_index: tuple[LexicalIndex, list[Chunk]],
) -> None:
    index, _ = corpus_index
    plain = dict((c.id, s) for c, s in index.search(["echo"], 5))
    halved = dict((c.id, s) for c, s in index.search(["echo"], 5, weights=[0.5]))
    assert plain and plain.keys() == halved.keys()
    for chunk_id, score in plain.items():
        assert halved[chunk_id] == pytest.approx(score / 2, rel=1e-5)


def test_filters_and_acceptance_restrict_the_results(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "index")
    old = Chunk(text="echo cancellation", source="a.md", chunk_index=0, content_hash="old")
    new = Chunk(text="echo cancellation again", source="a.md", chunk_index=0, content_hash="new")
    vendor = Chunk(text="echo for vendors", source="b.md", chunk_index=0, vendor="Nimbus")
    index.upsert([old, new, vendor])
    live = {"a.md": "new", "b.md": ""}
    found = index.search(["echo"], 5, accept=lambda c: live.get(c.source) == c.content_hash)
    assert {chunk.id for chunk, _ in found} == {new.id, vendor.id}
    assert [c.id for c, _ in index.search(["echo"], 5, filters={"vendor": "Nimbus"})] == [vendor.id]
    assert index.search(["echo"], 5, filters={"unknown": "x"}) == []


def test_publish_drops_other_versions_and_records_the_version(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "index")
    old = Chunk(text="latency old", source="a.md", chunk_index=0, content_hash="old")
    new = Chunk(text="latency new", source="a.md", chunk_index=0, content_hash="new")
    index.upsert([old, new])
    index.publish([("a.md", "new")], counts={"a.md": 1})
    assert index.versions() == {"a.md": "new"}
    assert index.version_ids("a.md", "old") == set()
    assert index.version_ids("a.md", "new") == {new.id}
    # A version found short (another writer dropped chunks) is not recorded as held in full.
    index.publish([("a.md", "new")], counts={"a.md": 2})
    assert index.versions() == {}


def test_the_index_survives_a_restart(tmp_path: Path) -> None:
    chunk = Chunk(text="jitter buffer", source="a.md", chunk_index=0, content_hash="h")
    first = LexicalIndex(tmp_path / "index")
    first.upsert([chunk])
    first.publish([("a.md", "h")])
    first.close()
    again = LexicalIndex(tmp_path / "index")
    assert again.versions() == {"a.md": "h"}
    assert [c.id for c, _ in again.search(tokenize("jitter"), 3)] == [chunk.id]


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(f"# {name}\n\n{text}\n", "utf-8")


def test_a_replica_catches_up_with_only_what_changed(
    tmp_path: Path, store_settings: Settings, fake_embedder: object
) -> None:
    docs = tmp_path / "docs"
    for i in range(3):
        _write(docs, f"doc{i}.md", f"Document {i} speaks of echo cancellation and jitter.")
    Ingestor(store_settings, fake_embedder).sync([docs])  # type: ignore[arg-type]
    store = open_store(store_settings)
    # A replica: its own empty disk, the same store.
    replica = open_lexical_index(store_settings.model_copy(update={"data_dir": tmp_path / "r"}))
    first = catch_up(store, replica)
    assert first.fetched_documents == 3 and first.fetched_chunks == store.chunks.count()
    assert replica.versions() == store.registry.live_versions()

    assert catch_up(store, replica).fetched_documents == 0  # in step: nothing fetched

    _write(docs, "doc1.md", "Document 1 now speaks of first-frame time only.")
    (docs / "doc2.md").unlink()
    Ingestor(store_settings, fake_embedder).sync([docs])  # type: ignore[arg-type]
    caught = catch_up(store, replica)
    assert (caught.fetched_documents, caught.withdrawn) == (1, 1)
    assert replica.versions() == store.registry.live_versions()
    assert replica.size == store.chunks.count()
    live = store.registry.live_versions()
    hits = replica.search(tokenize("first-frame time"), 3)
    assert hits and hits[0][0].source.endswith("doc1.md")
    assert live[hits[0][0].source] == hits[0][0].content_hash


def test_ingest_writes_the_index_as_it_publishes(
    tmp_path: Path, store_settings: Settings, fake_embedder: object
) -> None:
    docs = tmp_path / "docs"
    _write(docs, "a.md", "Packet loss concealment keeps voice rooms usable.")
    Ingestor(store_settings, fake_embedder).sync([docs])  # type: ignore[arg-type]
    index = open_lexical_index(store_settings)
    store = open_store(store_settings)
    assert index.versions() == store.registry.live_versions()
    assert catch_up(store, index).fetched_documents == 0  # nothing left for the reader to fetch
    assert index.search(tokenize("packet loss"), 1)[0][0].source.endswith("a.md")


def test_search_within_some_documents_and_where_a_term_occurs(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "index")
    chunks = [
        Chunk(text="foo relay settings", source="a/one.md", chunk_index=0, content_hash="v1"),
        Chunk(text="foo relay ports", source="b/two.md", chunk_index=0, content_hash="v1"),
        Chunk(text="bar relay", source="b/three.md", chunk_index=0, content_hash="v2"),
    ]
    index.upsert(chunks)
    index.publish([("a/one.md", "v1"), ("b/two.md", "v1"), ("b/three.md", "v2")])
    within = {chunk.source for chunk, _ in index.search(["relay"], 5, within={"b/two.md"})}
    assert within == {"b/two.md"}
    assert index.versions_using("foo", 10) == {("a/one.md", "v1"), ("b/two.md", "v1")}
    assert index.versions_using("relay", 2) is None  # held by more chunks than the limit
    assert index.versions_using("absent", 10) == set()
