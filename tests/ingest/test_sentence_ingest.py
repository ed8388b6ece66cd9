"""Ingest keeps each live chunk's sentence vectors: written with it, deleted with it, backfilled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from config.settings import Settings
from ingest.pipeline import Ingestor, IngestReport
from store.client import open_store
from store.schema import Chunk
from store.sentences import (
    legacy_sentence_collection_name,
    sentence_collection_name,
    sentence_records,
)

REPO = Path(__file__).resolve().parents[2]


def _doc(title: str, body: str) -> str:
    return f"---\ntitle: {title}\ndoc_type: guide\n---\n\n# {title}\n\n{body}\n"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "voice.md").write_text(
        _doc(
            "Voice rooms",
            "## Latency\n\nKeep mouth-to-ear delay under 400 ms. Users leave when it lags.\n\n"
            "## Echo\n\nEcho cancellation matters most. Test it on cheap phones.",
        ),
        "utf-8",
    )
    (folder / "zh.md").write_text(
        _doc("语聊房", "## 指标\n\n语聊房要低延迟。回声要消除。"), "utf-8"
    )
    return folder


def _sync(settings: Settings, embedder: object, *paths: Path) -> IngestReport:
    return Ingestor(settings, embedder).sync(list(paths))  # type: ignore[arg-type]


def _live_chunks(settings: Settings) -> list[Chunk]:
    store = open_store(settings)
    live = store.registry.live_versions()
    records = store.chunks.get(include=["documents", "metadatas"])
    chunks = [
        Chunk.from_record(chunk_id, text or "", dict(metadata or {}))
        for chunk_id, text, metadata in zip(
            records["ids"],
            records["documents"],  # type: ignore[arg-type]
            records["metadatas"],  # type: ignore[arg-type]
            strict=True,
        )
    ]
    return [chunk for chunk in chunks if live.get(chunk.source) == chunk.content_hash]


def _stored_owners(settings: Settings) -> set[str]:
    metadatas = open_store(settings).sentences.collection.get(include=["metadatas"])["metadatas"]
    return {str(metadata["chunk_id"]) for metadata in metadatas or []}


def test_every_live_chunk_has_its_sentences_embedded_with_the_heading(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    chunks = _live_chunks(store_settings)
    stored = open_store(store_settings).sentences.for_chunks([c.id for c in chunks])
    assert set(stored) == {c.id for c in chunks}
    by_id = {c.id: c for c in chunks}
    latency = next(c for c in chunks if c.section.endswith("Latency"))
    texts = [text for text, _ in stored[latency.id]]
    assert texts == ["Keep mouth-to-ear delay under 400 ms.", "Users leave when it lags."]
    expected = fake_embedder.embed_passages(["Latency: Users leave when it lags."])[0]  # type: ignore[attr-defined]
    assert np.allclose(stored[latency.id][1][1], expected, atol=2e-3)  # kept as float16
    for chunk_id, rows in stored.items():
        assert [t for t, _ in rows] == [r.text for r in sentence_records([by_id[chunk_id]])]
    assert open_store(store_settings).registry.sentence_versions()


def test_sentences_leave_with_their_chunks(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    (docs / "voice.md").write_text(_doc("Voice rooms", "Entirely new advice on jitter."))
    _sync(store_settings, fake_embedder, docs)
    assert _stored_owners(store_settings) == {c.id for c in _live_chunks(store_settings)}
    (docs / "zh.md").unlink()
    _sync(store_settings, fake_embedder, docs)
    live = _live_chunks(store_settings)
    assert {c.source for c in live} == {f"{docs.as_posix()}/voice.md"}
    assert _stored_owners(store_settings) == {c.id for c in live}
    assert open_store(store_settings).sentences.count() == len(sentence_records(live))


def test_a_store_ingested_before_sentences_were_kept_is_backfilled(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    store = open_store(store_settings)
    # The store as the previous version left it: no sentence records, registry entries without
    # a sentence version.
    store.sentences.delete_for_chunks([c.id for c in _live_chunks(store_settings)])
    for source, digest in store.registry.live_versions().items():
        store.registry.publish(source, digest, "fake-hash-embedder")
    assert set(store.registry.sentence_versions().values()) == {0}

    report = _sync(store_settings, fake_embedder, docs)
    assert (report.updated, report.unchanged) == (2, 0)
    chunks = _live_chunks(store_settings)
    assert set(open_store(store_settings).sentences.for_chunks([c.id for c in chunks])) == {
        c.id for c in chunks
    }
    assert _sync(store_settings, fake_embedder, docs).unchanged == 2


def test_documents_cut_by_an_older_text_format_are_read_again(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    from ingest.chunking import TEXT_FORMAT
    from store.sentences import SENTENCE_VERSION

    _sync(store_settings, fake_embedder, docs)
    store = open_store(store_settings)
    assert set(store.registry.text_formats().values()) == {TEXT_FORMAT}
    # As a release before the current loaders left it: same files, same model, older cut.
    for source, digest in store.registry.live_versions().items():
        store.registry.publish_many(
            [(source, digest)],
            "fake-hash-embedder",
            sentences=SENTENCE_VERSION,
            text_format=TEXT_FORMAT - 1,
        )
    report = _sync(store_settings, fake_embedder, docs)
    assert (report.updated, report.unchanged) == (2, 0)
    assert set(open_store(store_settings).registry.text_formats().values()) == {TEXT_FORMAT}
    assert _sync(store_settings, fake_embedder, docs).unchanged == 2


def test_a_model_change_re_embeds_the_sentences(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)

    class Shifted:
        """Another model: the fake's vectors, negated."""

        identity = "another-model"

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            return -fake_embedder.embed_passages(texts)  # type: ignore[attr-defined]

        def count_tokens(self, text: str) -> int:
            return fake_embedder.count_tokens(text)  # type: ignore[attr-defined]

    _sync(store_settings, Shifted(), docs)
    chunks = _live_chunks(store_settings)
    stored = open_store(store_settings).sentences.for_chunks([c.id for c in chunks])
    for chunk in chunks:
        records = sentence_records([chunk])
        expected = -fake_embedder.embed_passages([r.embed_text for r in records])  # type: ignore[attr-defined]
        assert np.allclose(np.stack([v for _, v in stored[chunk.id]]), expected, atol=1e-6)


CHILD = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from conftest import FakeEmbedder
from config.settings import Settings
from ingest.pipeline import Ingestor
settings = Settings(_env_file=None, data_dir=Path({data!r}), chroma_path=Path({chroma!r}))
Ingestor(settings, FakeEmbedder()).sync([Path({folder!r})])
"""


def test_a_reader_open_while_another_process_ingests_falls_back_instead_of_failing(
    tmp_path: Path, fake_embedder: object, docs: Path
) -> None:
    # Embedded mode only: the reader process had the store open before the writer wrote.
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        chroma_path=tmp_path / "chroma",
    )
    _sync(settings, fake_embedder, docs)
    reader = open_store(settings)
    assert reader.sentences.for_chunks([c.id for c in _live_chunks(settings)])
    for n in range(12):
        (docs / f"more{n}.md").write_text(
            _doc(f"More {n}", " ".join(f"Sentence {k} of file {n}." for k in range(12))), "utf-8"
        )
    code = CHILD.format(
        tests=str(REPO / "tests"),
        data=str(settings.data_dir),
        chroma=str(settings.chroma_path),
        folder=str(docs),
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)
    chunks = _live_chunks(settings)
    found = reader.sentences.for_chunks([c.id for c in chunks])  # never raises
    for chunk_id, rows in found.items():
        assert [t for t, _ in rows] == [
            r.text for r in sentence_records([c for c in chunks if c.id == chunk_id])
        ]


def test_ingest_drops_the_collection_an_older_version_kept_its_sentences_in(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    store = open_store(store_settings)
    assert store.client is not None
    legacy = legacy_sentence_collection_name(store_settings.chroma_collection)
    store.client.create_collection(legacy, embedding_function=None)
    _sync(store_settings, fake_embedder, docs)
    names = {collection.name for collection in open_store(store_settings).client.list_collections()}  # type: ignore[union-attr]
    assert legacy not in names
    assert sentence_collection_name(store_settings.chroma_collection) in names
    assert _sync(store_settings, fake_embedder, docs).unchanged == 2  # and only once
