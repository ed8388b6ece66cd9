"""The ingest sync: added/updated/unchanged/removed, identical files, failures, the manifest."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

pytest.importorskip("ingest.chunking")

from config.settings import Settings
from ingest.pipeline import Ingestor, IngestReport
from store.client import open_store
from store.schema import Chunk
from store.sentences import sentence_records


class CountingEmbedder:
    """Wraps the fake embedder and counts what it was asked to embed."""

    def __init__(self, inner: object, identity: str = "fake-hash-embedder") -> None:
        self.inner = inner
        self.identity = identity
        self.embedded = 0

    def embed_passages(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)  # type: ignore[attr-defined]

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)  # type: ignore[attr-defined]


def _doc(title: str, body: str, lang: str = "en") -> str:
    return f"---\ntitle: {title}\ndoc_type: guide\nlang: {lang}\n---\n\n# {title}\n\n{body}\n"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "voice.md").write_text(
        _doc(
            "Voice rooms",
            "## Metrics\n\nFor a voice room, echo cancellation matters most.\n\n"
            "## Traps\n\nFor a voice room, test on low-end Android phones.",
        ),
        "utf-8",
    )
    (folder / "video.md").write_text(
        _doc("1v1 video", "For 1v1 video, connect time under one second matters."), "utf-8"
    )
    (folder / "notes.txt").write_text("Our budget is small.\n\nWe test two vendors.", "utf-8")
    return folder


def _live_ids(settings: Settings, store_dir: Path | None) -> dict[str, set[str]]:
    store = open_store(settings, store_dir)
    live = store.registry.live_versions()
    records = store.chunks.get(include=["metadatas"])
    by_source: dict[str, set[str]] = {}
    for chunk_id, metadata in zip(records["ids"], records["metadatas"], strict=True):
        assert metadata is not None
        assert live.get(str(metadata["source"])) == metadata["content_hash"], "orphan chunk"
        by_source.setdefault(str(metadata["source"]), set()).add(chunk_id)
    return by_source


def _sync(settings: Settings, embedder: object, *paths: Path) -> IngestReport:
    return Ingestor(settings, embedder, store_dir=None).sync(list(paths))  # type: ignore[arg-type]


def test_first_run_adds_every_file_with_metadata(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    report = _sync(store_settings, fake_embedder, docs)
    assert (report.added, report.updated, report.unchanged, report.removed) == (3, 0, 0, 0)
    assert report.failed == []
    assert report.chunks >= 4
    json.dumps(report.to_json())
    store = open_store(store_settings)
    records = store.chunks.get(include=["metadatas", "documents"])
    metadata = {m["source"]: m for m in records["metadatas"]}  # type: ignore[index]
    voice = metadata[f"{docs.as_posix()}/voice.md"]
    assert voice["title"] == "Voice rooms"
    assert voice["doc_type"] == "guide"
    assert voice["lang"] == "en"
    sections = {m["section"] for m in records["metadatas"] if "voice" in str(m["source"])}  # type: ignore[union-attr]
    assert sections == {"Metrics", "Traps"}


def test_rerun_skips_unchanged_files_without_embedding(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    counting = CountingEmbedder(fake_embedder)
    report = _sync(store_settings, counting, docs)
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 0, 3, 0)
    assert counting.embedded == 0


def test_a_new_embedding_model_re_embeds_every_document(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    before = _live_ids(store_settings, None)
    upgraded = CountingEmbedder(fake_embedder, identity="fake-hash-embedder@v2")
    report = _sync(store_settings, upgraded, docs)
    assert (report.added, report.updated, report.unchanged) == (0, 3, 0)
    # The chunks and their sentences (each distinct sentence text once) are embedded again.
    store = open_store(store_settings)
    records = store.chunks.get(include=["documents", "metadatas"])
    chunks = [
        Chunk.from_record(i, text or "", dict(m or {}))
        for i, text, m in zip(
            records["ids"], records["documents"], records["metadatas"], strict=True
        )  # type: ignore[arg-type]
    ]
    sentences = {record.embed_text for record in sentence_records(chunks)}
    assert upgraded.embedded == report.chunks + len(sentences) > report.chunks > 0
    assert set(open_store(store_settings).registry.embedders().values()) == {
        "fake-hash-embedder@v2"
    }
    assert _live_ids(store_settings, None) == before  # same chunks, new vectors
    again = CountingEmbedder(fake_embedder, identity="fake-hash-embedder@v2")
    assert _sync(store_settings, again, docs).unchanged == 3
    assert again.embedded == 0


def test_edit_replaces_the_old_chunks(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    before = _live_ids(store_settings, None)
    (docs / "video.md").write_text(_doc("1v1 video", "Entirely new advice on first frames."))
    report = _sync(store_settings, fake_embedder, docs)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    after = _live_ids(store_settings, None)
    video = f"{docs.as_posix()}/video.md"
    assert after[video].isdisjoint(before[video])
    texts = open_store(store_settings).chunks.get(ids=list(after[video]), include=["documents"])
    assert all("first frames" in text for text in texts["documents"])  # type: ignore[union-attr]
    assert sum(len(ids) for ids in after.values()) == open_store(store_settings).chunks.count()


def test_deleting_a_file_removes_its_document(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    (docs / "notes.txt").unlink()
    report = _sync(store_settings, fake_embedder, docs)
    assert report.removed == 1
    assert f"{docs.as_posix()}/notes.txt" not in _live_ids(store_settings, None)


def test_a_file_argument_does_not_sync_its_directory(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    report = _sync(store_settings, fake_embedder, docs / "voice.md")
    assert report.removed == 0
    assert len(_live_ids(store_settings, None)) == 3


def test_identical_files_are_stored_once_under_the_first(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    (docs / "zz-voice-copy.md").write_bytes((docs / "voice.md").read_bytes())
    report = _sync(store_settings, fake_embedder, docs)
    assert report.added == 4
    live = _live_ids(store_settings, None)
    assert f"{docs.as_posix()}/voice.md" in live
    assert f"{docs.as_posix()}/zz-voice-copy.md" not in live
    # The first copy goes away: the second takes over its content.
    (docs / "voice.md").unlink()
    report = _sync(store_settings, fake_embedder, docs)
    assert report.removed == 1
    assert f"{docs.as_posix()}/zz-voice-copy.md" in _live_ids(store_settings, None)


def test_bad_files_fail_alone(store_settings: Settings, fake_embedder: object, docs: Path) -> None:
    (docs / "empty.md").write_text("")
    (docs / "image.xyz").write_bytes(b"\x00\x01binary")
    report = _sync(store_settings, fake_embedder, docs)
    failed = {Path(item["path"]).name: item["error"] for item in report.failed}
    assert set(failed) == {"empty.md", "image.xyz"}
    assert all(message and "\n" not in message for message in failed.values())
    assert report.added == 3


def test_a_broken_edit_keeps_the_previous_version(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    before = _live_ids(store_settings, None)
    (docs / "voice.md").write_text("")
    report = _sync(store_settings, fake_embedder, docs)
    assert [Path(item["path"]).name for item in report.failed] == ["voice.md"]
    assert _live_ids(store_settings, None) == before


def test_missing_path_is_reported(
    store_settings: Settings, fake_embedder: object, tmp_path: Path
) -> None:
    report = _sync(store_settings, fake_embedder, tmp_path / "nope")
    assert report.failed == [
        {"path": (tmp_path / "nope").as_posix(), "error": "no such file or directory"}
    ]


def test_store_emptied_behind_the_manifest_is_rebuilt(
    store_settings: Settings, fake_embedder: object, docs: Path
) -> None:
    _sync(store_settings, fake_embedder, docs)
    store = open_store(store_settings)
    store.chunks.delete(ids=store.chunks.get()["ids"])
    report = _sync(store_settings, fake_embedder, docs)
    assert report.added == 3
    assert len(_live_ids(store_settings, None)) == 3


def test_a_lost_manifest_leaves_no_orphans_when_the_documents_are_cut_anew(
    store_settings: Settings, fake_embedder: object, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store whose manifest is gone (moved, data folder wiped) holds chunks no entry names;
    re-reading the same files with a changed chunker gives them the same content hash, so
    they would pass for live beside the new chunks unless ingest drops them from the store."""
    import ingest.pipeline as pipeline

    _sync(store_settings, fake_embedder, docs)
    pipeline.manifest_path(store_settings).unlink()
    original = pipeline.chunk_document

    def recut(*args: object, **kwargs: object) -> list[object]:
        drafts = original(*args, **kwargs)  # type: ignore[arg-type]
        return [dataclasses.replace(d, text=f"{d.text}\n\nCut anew.") for d in drafts]

    monkeypatch.setattr(pipeline, "chunk_document", recut)
    report = _sync(store_settings, fake_embedder, docs)
    assert report.added == 3
    store = open_store(store_settings)
    texts = store.chunks.get(include=["documents"])["documents"]
    assert texts and all(text.endswith("Cut anew.") for text in texts)  # type: ignore[union-attr]
    assert store.sentences.count() == len(sentence_records(_stored_chunks(store_settings)))


def _stored_chunks(settings: Settings) -> list[Chunk]:
    records = open_store(settings).chunks.get(include=["documents", "metadatas"])
    return [
        Chunk.from_record(i, text or "", dict(m or {}))
        for i, text, m in zip(
            records["ids"], records["documents"], records["metadatas"], strict=True
        )  # type: ignore[arg-type]
    ]
