"""One ingest at a time per store, and the bot's upload path with the same checks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from config.settings import Settings
from ingest.errors import IngestError
from ingest.lock import StoreBusy, store_lock
from ingest.pipeline import lock_path
from ingest.upload import ingest_upload, safe_filename


def test_a_second_ingest_waits_then_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "store.lock"
    told: list[bool] = []
    with (
        store_lock(path),
        pytest.raises(StoreBusy, match="another ingest is still running"),
        store_lock(path, wait_seconds=0.3, on_wait=lambda: told.append(True)),
    ):
        pass
    assert told == [True]


def test_a_waiting_ingest_goes_ahead_when_the_first_finishes(tmp_path: Path) -> None:
    path = tmp_path / "store.lock"
    order: list[str] = []

    def first() -> None:
        with store_lock(path):
            order.append("first in")
            time.sleep(0.5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.1)
    with store_lock(path, wait_seconds=10):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def test_each_store_has_its_own_lock(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert lock_path(settings, tmp_path / "a") != lock_path(settings, tmp_path / "b")


def test_upload_names_cannot_escape_the_upload_folder() -> None:
    assert safe_filename("../../etc/passwd.md") == "passwd.md"
    assert safe_filename("C:\\docs\\选型 notes.md") == "选型 notes.md"
    with pytest.raises(IngestError):
        safe_filename("..")


def test_upload_rejects_unsupported_types_before_touching_the_store(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", chroma_path=tmp_path / "chroma")
    with pytest.raises(IngestError, match=r"unsupported file type \.exe"):
        ingest_upload(b"MZ...", "setup.exe", settings)
    assert not (tmp_path / "chroma").exists()


def test_upload_ingests_and_a_bad_replacement_keeps_the_good_file(
    tmp_path: Path, fake_embedder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.upload as upload

    monkeypatch.setattr(upload, "LazyEmbedder", lambda _path: fake_embedder, raising=False)
    monkeypatch.setattr("store.embedding.LazyEmbedder", lambda _path: fake_embedder)
    settings = Settings(data_dir=tmp_path / "data", chroma_path=tmp_path / "chroma")
    good = b"# Vendor notes\n\nNimbusRTC states a 99.95% SLA for its voice rooms.\n"
    result = ingest_upload(good, "nimbus.md", settings)
    assert result.status == "added" and result.chunks >= 1
    assert ingest_upload(good, "nimbus.md", settings).status == "unchanged"
    with pytest.raises(IngestError, match="empty"):
        ingest_upload(b"", "nimbus.md", settings)
    assert (tmp_path / "data" / "uploads" / "nimbus.md").read_bytes() == good
