"""The sentence records of chunks: what is embedded, and the SentenceStore's API (both modes)."""

from __future__ import annotations

import numpy as np
import pytest

from config.settings import Settings
from store import sentences as sentences_module
from store.client import StoreHandle, open_store
from store.schema import Chunk
from store.sentences import (
    SentenceRecord,
    innermost_heading,
    pack_vector,
    sentence_collection_name,
    sentence_records,
    split_sentences,
    unpack_vector,
)


def _chunk(text: str, section: str = "", index: int = 0) -> Chunk:
    return Chunk(text=text, source="docs/a.md", chunk_index=index, section=section)


def _vectors(records: list[SentenceRecord], embedder: object) -> np.ndarray:
    return embedder.embed_passages([r.embed_text for r in records])  # type: ignore[attr-defined]


def test_a_sentence_is_embedded_with_its_innermost_heading() -> None:
    chunk = _chunk("Keep it under 200 ms. It matters most.", section="Voice room > Latency")
    records = sentence_records([chunk])
    assert [(r.i, r.text, r.embed_text) for r in records] == [
        (0, "Keep it under 200 ms.", "Latency: Keep it under 200 ms."),
        (1, "It matters most.", "Latency: It matters most."),
    ]
    assert records[0].id == f"{chunk.id}:0"
    assert innermost_heading("") == "" and innermost_heading("Only") == "Only"


def test_a_sentence_without_heading_is_embedded_alone() -> None:
    [record] = sentence_records([_chunk("语聊房要低延迟。")])
    assert record.embed_text == "语聊房要低延迟。"


def test_fragments_get_no_record_but_keep_positions() -> None:
    chunk = _chunk("- \n1.\nEcho cancellation matters.\n…\nNoise too.", section="Audio")
    records = sentence_records([chunk])
    split = split_sentences(chunk.text)
    assert [r.text for r in records] == ["Echo cancellation matters.", "Noise too."]
    assert all(split[r.i] == r.text for r in records)


def test_the_collection_is_a_companion_of_the_chunks(store_settings: Settings) -> None:
    store = open_store(store_settings)
    name = sentence_collection_name(store_settings.chroma_collection)
    assert store.sentences.collection.name == name != store.chunks.name
    assert store.sentences.count() == 0


def test_a_packed_vector_reads_back_within_float16_rounding() -> None:
    rng = np.random.default_rng(5)
    vector = rng.normal(size=384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    back = unpack_vector(pack_vector(vector))
    assert back.dtype == np.float32 and back.shape == (384,)
    assert float(np.dot(back, vector)) > 0.9999
    assert abs(float(np.linalg.norm(back)) - 1.0) < 1e-6
    assert len(pack_vector(vector)) == 1024  # 384 float16 values in base64


def test_the_records_carry_no_vector_index_of_their_own(
    store_settings: Settings, fake_embedder: object
) -> None:
    """Sentences are read by chunk id, never searched: their embeddings are a constant, so
    opening the collection loads no index that grows with the store."""
    store = open_store(store_settings)
    records = sentence_records([_chunk("One about echo. Two about noise.", "Audio", 0)])
    store.sentences.write(records, _vectors(records, fake_embedder))
    stored = store.sentences.collection.get(include=["embeddings"])["embeddings"]
    assert stored is not None and all(len(vector) == 1 for vector in stored)


def _two_chunks_written(store: StoreHandle, embedder: object) -> tuple[Chunk, Chunk, np.ndarray]:
    """An English and a Chinese chunk whose sentences are stored; with their vectors."""
    first = _chunk("One about echo. Two about noise. Three about jitter.", "Audio", 0)
    second = _chunk("连麦延迟要低。首帧要快。", "指标", 1)
    records = sentence_records([first, second])
    vectors = _vectors(records, embedder)
    store.sentences.write(records, vectors)
    return first, second, vectors


def test_write_then_read_each_chunks_sentences_in_order(
    store_settings: Settings, fake_embedder: object
) -> None:
    store = open_store(store_settings)
    first, second, vectors = _two_chunks_written(store, fake_embedder)
    found = store.sentences.for_chunks([second.id, first.id, "no-such-chunk"])
    assert set(found) == {first.id, second.id}  # a chunk without sentences is simply absent
    assert [text for text, _ in found[first.id]] == split_sentences(first.text)
    assert [text for text, _ in found[second.id]] == ["连麦延迟要低。", "首帧要快。"]
    vector = found[first.id][1][1]
    assert vector.dtype == np.float32
    assert np.allclose(vector, vectors[1], atol=2e-3)  # float16
    assert store.sentences.for_chunks([]) == {}


def test_a_chunks_sentences_are_read_by_record_id_as_by_chunk_id(
    store_settings: Settings, fake_embedder: object
) -> None:
    store = open_store(store_settings)
    first, second, _ = _two_chunks_written(store, fake_embedder)
    unstored = _chunk("Nothing of this one was stored.", "Other", 2)
    asked: list[dict[str, object]] = []
    get = store.sentences.collection.get

    def spying(**query: object) -> object:
        asked.append(query)
        return get(**query)  # type: ignore[arg-type]

    store.sentences.collection.get = spying  # type: ignore[method-assign]
    by_id = store.sentences.of_chunks([second, first, unstored, first])
    assert asked and all("where" not in query for query in asked)  # primary-key reads only
    by_filter = store.sentences.for_chunks([second.id, first.id, unstored.id])
    assert set(by_id) == set(by_filter) == {first.id, second.id}
    for chunk_id, rows in by_filter.items():
        assert [text for text, _ in by_id[chunk_id]] == [text for text, _ in rows]
        pairs = zip(by_id[chunk_id], rows, strict=True)
        assert all(np.array_equal(a, b) for (_, a), (_, b) in pairs)
    assert store.sentences.of_chunks([]) == {}


def test_delete_for_chunks_removes_only_theirs(
    store_settings: Settings, fake_embedder: object
) -> None:
    store = open_store(store_settings)
    chunks = [_chunk(f"Sentence {n} here. And another {n}.", "S", n) for n in range(3)]
    records = sentence_records(chunks)
    store.sentences.write(records, _vectors(records, fake_embedder))
    store.sentences.delete_for_chunks([chunks[0].id, chunks[2].id, "unknown"])
    assert set(store.sentences.for_chunks([c.id for c in chunks])) == {chunks[1].id}
    assert store.sentences.count() == 2


def test_rewriting_a_chunk_drops_records_it_no_longer_has(
    store_settings: Settings, fake_embedder: object
) -> None:
    store = open_store(store_settings)
    chunk = _chunk("First part. Second part. Third part.", "S")
    records = sentence_records([chunk])
    store.sentences.write(records, _vectors(records, fake_embedder))
    fewer = records[:2]  # as a changed splitter would give
    store.sentences.write(fewer, _vectors(fewer, fake_embedder))
    assert [text for text, _ in store.sentences.for_chunks([chunk.id])[chunk.id]] == [
        "First part.",
        "Second part.",
    ]


def test_many_chunk_ids_are_read_in_batches(
    store_settings: Settings, fake_embedder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sentences_module, "IDS_PER_CALL", 3)
    store = open_store(store_settings)
    chunks = [_chunk(f"Chunk number {n} speaks.", "S", n) for n in range(8)]
    records = sentence_records(chunks)
    store.sentences.write(records, _vectors(records, fake_embedder))
    assert set(store.sentences.for_chunks([c.id for c in chunks])) == {c.id for c in chunks}
    store.sentences.delete_for_chunks([c.id for c in chunks[:7]])
    assert store.sentences.count() == 1


def test_records_and_vectors_must_match(store_settings: Settings, fake_embedder: object) -> None:
    store = open_store(store_settings)
    records = sentence_records([_chunk("One sentence. Another one.")])
    with pytest.raises(ValueError, match="2 sentences but 1 vectors"):
        store.sentences.write(records, _vectors(records[:1], fake_embedder))
