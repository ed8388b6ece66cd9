"""The answering process's view of the live chunks: the registry read once at start."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from ingest.pipeline import Ingestor
from knowledge.factory import _quietly
from knowledge.retrieval.index import LiveIndex
from store.client import StoreHandle, open_store
from store.lexical_index import open_lexical_index


def _ingest(settings: Settings, embedder: object, folder: Path, *names: str) -> None:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / f"{name}.md").write_text(f"# {name}\n\nThe {name} server relays media.\n")
    Ingestor(settings, embedder).sync([folder])  # type: ignore[arg-type]


def _counting_reads(store: StoreHandle) -> list[int]:
    calls: list[int] = []
    read: Callable[[], Any] = store.registry.records

    def counted() -> Any:
        calls.append(1)
        return read()

    store.registry.records = counted  # type: ignore[method-assign]
    return calls


def test_the_first_snapshot_uses_the_registry_read_at_start(
    tmp_path: Path, store_settings: Settings, fake_embedder: object
) -> None:
    _ingest(store_settings, fake_embedder, tmp_path / "docs", "alpha", "beta")
    store = open_store(store_settings)
    reads = _counting_reads(store)
    index = LiveIndex(store, open_lexical_index(store_settings))
    records = index.read_records()
    snapshot = index.snapshot()
    assert len(reads) == 1
    assert snapshot.live == {source: r.content_hash for source, r in records.items()}
    assert len(snapshot.live) == 2 and snapshot.lexical.size >= 2


def test_a_store_changed_after_the_read_is_read_again(
    tmp_path: Path, store_settings: Settings, fake_embedder: object
) -> None:
    folder = tmp_path / "docs"
    _ingest(store_settings, fake_embedder, folder, "alpha")
    store = open_store(store_settings)
    index = LiveIndex(store, open_lexical_index(store_settings))
    index.read_records()
    _ingest(store_settings, fake_embedder, folder, "gamma")  # published between read and use
    reads = _counting_reads(store)
    snapshot = index.snapshot()
    assert len(reads) == 1  # the stale read is not trusted
    assert sorted(Path(source).name for source in snapshot.live) == ["alpha.md", "gamma.md"]


def test_a_failed_read_at_start_is_logged_and_left_to_the_first_question(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def unreachable() -> None:
        calls.append(1)
        raise ConnectionError("store down")

    _quietly("catching the lexical index up", unreachable)
    assert calls == [1]
    assert "catching the lexical index up at start failed: store down" in caplog.text
