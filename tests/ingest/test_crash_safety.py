"""kill -9 at the worst moments of an ingest: readers see the old or the new version of each
document, never both or half, in the vectors, the lexical index and the sentence vectors
alike, and the next run converges with no duplicate or orphan chunk or sentence in any."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from ingest.pipeline import Ingestor
from store.client import open_store
from store.lexical_index import open_lexical_index
from store.lexical_sync import catch_up
from store.schema import Chunk
from store.sentences import sentence_records

# The vectors are upserted, then the lexical index, then the sentence vectors, then the registry
# publishes, then the index records the versions, then the old chunks go: a kill at each step.
STAGES = (
    "mid-upsert",
    "mid-sentences",
    "before-publish",
    "mid-publish",
    "after-publish",
    "mid-index-publish",
    "after-index-publish",
    "after-chunk-delete",
)


def _docs(folder: Path, version: str) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(6):
        body = "\n\n".join(
            f"Paragraph {p} of document {i}, version {version}: echo cancellation and "
            f"first-frame time matter for voice rooms."
            for p in range(12)
        )
        (folder / f"doc{i}.md").write_text(f"# Doc {i}\n\n{body}\n", "utf-8")


CHILD = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from conftest import FakeEmbedder
from config.settings import Settings
import ingest.pipeline as pipeline
from store import client as store_client

stage = {stage!r}

def open_and_sabotage(*args, **kwargs):
    handle = store_client.open_store(*args, **kwargs)
    upsert, publish_many = handle.chunks.upsert, handle.registry.publish_many
    sentence_upsert, delete = handle.sentences.collection.upsert, handle.chunks.delete

    def cut_short(write, name):
        def sabotaged(**kw):
            if stage == name:
                half = len(kw["ids"]) // 2
                write(**{{k: v[:half] for k, v in kw.items()}})
                os.kill(os.getpid(), signal.SIGKILL)
            write(**kw)
        return sabotaged

    def sabotaged_publish_many(versions, *args, **kwargs):
        if stage == "before-publish":
            os.kill(os.getpid(), signal.SIGKILL)
        if stage == "mid-publish":
            publish_many(versions[:3], *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        publish_many(versions, *args, **kwargs)
        if stage == "after-publish":
            os.kill(os.getpid(), signal.SIGKILL)

    def sabotaged_delete(**kw):
        delete(**kw)
        if stage == "after-chunk-delete":  # the chunks are gone, their sentences not yet
            os.kill(os.getpid(), signal.SIGKILL)

    handle.chunks.upsert = cut_short(upsert, "mid-upsert")
    handle.sentences.collection.upsert = cut_short(sentence_upsert, "mid-sentences")
    handle.registry.publish_many = sabotaged_publish_many
    handle.chunks.delete = sabotaged_delete
    return handle

def open_index_and_sabotage(*args, **kwargs):
    index = open_lexical_index(*args, **kwargs)
    record, publish = index._record, index.publish

    def sabotaged_record(*a, **kw):
        if stage == "mid-index-publish":
            os.kill(os.getpid(), signal.SIGKILL)  # Tantivy committed, the record not written
        return record(*a, **kw)

    def sabotaged_publish(*a, **kw):
        publish(*a, **kw)
        if stage == "after-index-publish":
            os.kill(os.getpid(), signal.SIGKILL)

    index._record = sabotaged_record
    index.publish = sabotaged_publish
    return index

open_lexical_index = pipeline.open_lexical_index
pipeline.open_store = open_and_sabotage
pipeline.open_lexical_index = open_index_and_sabotage
settings = Settings(data_dir={data!r}, chroma_path={chroma!r})
pipeline.Ingestor(settings, FakeEmbedder()).sync([pipeline.Path({folder!r})])
"""


def _ingest_and_die(settings: Settings, folder: Path, stage: str) -> int:
    """Run an ingest in a fresh process that SIGKILLs itself at `stage` of writing the batch."""
    code = CHILD.format(
        tests=str(Path(__file__).resolve().parents[1]),
        stage=stage,
        data=str(settings.data_dir),
        chroma=str(settings.chroma_path),
        folder=str(folder),
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return result.returncode


def _visible(settings: Settings) -> dict[str, set[str]]:
    """What a reader sees: texts of live chunks per source."""
    store = open_store(settings)
    live = store.registry.live_versions()
    records = store.chunks.get(include=["metadatas", "documents"])
    seen: dict[str, set[str]] = {}
    for text, metadata in zip(records["documents"], records["metadatas"], strict=True):  # type: ignore[arg-type]
        if live.get(str(metadata["source"])) == metadata["content_hash"]:
            seen.setdefault(str(metadata["source"]), set()).add(text)
    return seen


def _live_ids(settings: Settings) -> dict[str, set[str]]:
    """The ids of each document's live chunks in the vectors."""
    store = open_store(settings)
    live = store.registry.live_versions()
    records = store.chunks.get(include=["metadatas"])
    found: dict[str, set[str]] = {source: set() for source in live}
    for chunk_id, metadata in zip(records["ids"], records["metadatas"], strict=True):  # type: ignore[arg-type]
        if live.get(str(metadata["source"])) == metadata["content_hash"]:
            found[str(metadata["source"])].add(chunk_id)
    return found


def _assert_index_matches_vectors(settings: Settings, stage: str) -> None:
    """The lexical index shows a reader exactly the live chunks the vectors show."""
    store = open_store(settings)
    live = store.registry.live_versions()
    index = open_lexical_index(settings)
    try:
        for source, ids in _live_ids(settings).items():
            assert index.version_ids(source, live[source]) == ids, f"{source} after {stage}"
    finally:
        index.close()


def _live_chunks(settings: Settings) -> list[Chunk]:
    store = open_store(settings)
    live = store.registry.live_versions()
    records = store.chunks.get(include=["metadatas", "documents"])
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


def _assert_live_chunks_have_their_sentences(settings: Settings, stage: str) -> None:
    # Another process wrote the store: embedded Chroma keeps this process's vector segments as
    # they were when it last opened them, so open it afresh, as a new reader would.
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    chunks = _live_chunks(settings)
    expected: dict[str, list[str]] = {}
    for record in sentence_records(chunks):
        expected.setdefault(record.chunk_id, []).append(record.text)
    stored = open_store(settings).sentences.for_chunks([chunk.id for chunk in chunks])
    assert expected and len(expected) == len(chunks)
    assert {chunk_id: [text for text, _ in rows] for chunk_id, rows in stored.items()} == (
        expected
    ), f"a live chunk lacks its sentences after {stage}"


@pytest.mark.parametrize("stage", STAGES)
def test_kill_minus_nine_then_rerun_converges(
    tmp_path: Path, fake_embedder: object, stage: str
) -> None:
    settings = Settings(data_dir=tmp_path / "data", chroma_path=tmp_path / "chroma")
    folder = tmp_path / "docs"
    _docs(folder, "old")
    Ingestor(settings, fake_embedder).sync([folder])  # type: ignore[arg-type]
    _docs(folder, "new")

    assert _ingest_and_die(settings, folder, stage) == -signal.SIGKILL

    # At rest after the kill: every document is entirely old or entirely new.
    for source, texts in _visible(settings).items():
        versions = {"old" if "version old" in t else "new" for t in texts}
        assert len(versions) == 1, f"{source} mixes versions after {stage}"
    assert len(_visible(settings)) == 6
    _assert_index_matches_vectors(settings, stage)
    # What an answering process does on start: catch up; the index still matches the vectors.
    store, index = open_store(settings), open_lexical_index(settings)
    catch_up(store, index)
    assert index.versions() == store.registry.live_versions()
    index.close()
    _assert_index_matches_vectors(settings, stage)
    _assert_live_chunks_have_their_sentences(settings, stage)

    report = Ingestor(settings, fake_embedder).sync([folder])  # type: ignore[arg-type]
    assert report.failed == []
    visible = _visible(settings)
    assert all(all("version new" in t for t in texts) for texts in visible.values())
    store = open_store(settings)
    # No duplicate or orphan: the store holds exactly the live chunks.
    assert store.chunks.count() == sum(len(texts) for texts in visible.values())
    _assert_index_matches_vectors(settings, stage)
    index = open_lexical_index(settings)
    assert index.size == store.chunks.count()  # no orphan in the index either
    assert index.versions() == store.registry.live_versions()
    index.close()
    _assert_live_chunks_have_their_sentences(settings, stage)
    # ... and exactly their sentences: none of a deleted chunk is left.
    live = {chunk.id for chunk in _live_chunks(settings)}
    assert store.sentences.count() == len(sentence_records(_live_chunks(settings)))
    owners = store.sentences.collection.get(include=["metadatas"])["metadatas"] or []
    assert {str(metadata["chunk_id"]) for metadata in owners} == live
    again = Ingestor(settings, fake_embedder).sync([folder])  # type: ignore[arg-type]
    assert again.unchanged == 6
