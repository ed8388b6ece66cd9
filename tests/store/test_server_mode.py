"""The store in both modes (embedded and a real `chroma run`), and when a server fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings, bundled_model_dir
from store import client as store_client
from store.client import (
    StoreConnectionError,
    is_connection_error,
    open_store,
    with_retries,
)
from store.schema import Chunk, registry_name

REPO = Path(__file__).resolve().parents[2]


def _settings(tmp_path: Path, host: str | None, port: int | None, collection: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        chroma_path=tmp_path / "chroma",
        chroma_host=host,
        chroma_port=port,
        chroma_collection=collection,
        data_dir=tmp_path / "data",
    )


@pytest.fixture(params=["embedded", "server"])
def mode_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh store, once embedded and once on a real Chroma server."""
    collection = f"mode-{request.node.name.encode().hex()[-12:]}-{os.getpid()}"
    if request.param == "embedded":
        return _settings(tmp_path, None, None, "knowledge")
    server = request.getfixturevalue("any_chroma_server")
    return server.settings(tmp_path, collection=collection[:60])


def _chunks() -> list[Chunk]:
    texts = [
        "Agora and ZEGO both offer 1v1 video calling with global edge networks.",
        "声网和即构都提供一对一视频通话和全球边缘网络。",
        "Live commerce needs low-latency streaming with co-hosting and gifting.",
    ]
    return [
        Chunk(
            text=text,
            source="guides/test.md",
            chunk_index=index,
            title="Test guide",
            section="Scenarios > 1v1",
            doc_type="guide",
            lang="zh" if index == 1 else "en",
            as_of="2026-01-01",
            content_hash="abc123",
        )
        for index, text in enumerate(texts)
    ]


def test_open_store_creates_the_collection_and_its_registry(mode_settings: Settings) -> None:
    store = open_store(mode_settings)
    assert store.chunks.name == mode_settings.chroma_collection
    assert store.chunks.count() == 0
    assert store.registry.count() == 0
    # Opening again finds the same (now existing) collections rather than failing.
    again = open_store(mode_settings)
    assert again.chunks.id == store.chunks.id


def test_chunks_round_trip_with_the_schema(mode_settings: Settings, fake_embedder) -> None:
    store = open_store(mode_settings)
    chunks = _chunks()
    vectors = fake_embedder.embed_passages([chunk.text for chunk in chunks])
    store.chunks.upsert(
        ids=[chunk.id for chunk in chunks],
        documents=[chunk.text for chunk in chunks],
        metadatas=[chunk.metadata() for chunk in chunks],
        embeddings=[vector.tolist() for vector in vectors],
    )
    # Upserting the same chunks again is idempotent (ids are content hashes).
    store.chunks.upsert(
        ids=[chunk.id for chunk in chunks],
        documents=[chunk.text for chunk in chunks],
        metadatas=[chunk.metadata() for chunk in chunks],
        embeddings=[vector.tolist() for vector in vectors],
    )
    assert store.chunks.count() == 3

    query = fake_embedder.embed_query("live commerce streaming with gifting")
    result = store.chunks.query(
        query_embeddings=[query.tolist()],
        n_results=2,
        include=["documents", "metadatas", "distances"],
    )
    top = Chunk.from_record(
        result["ids"][0][0], result["documents"][0][0], result["metadatas"][0][0]
    )
    assert top == chunks[2]
    assert result["distances"][0][0] < result["distances"][0][1]  # cosine space: closer first

    filtered = store.chunks.get(where={"lang": "zh"}, include=["documents"])
    assert filtered["documents"] == [chunks[1].text]

    store.chunks.delete(ids=[chunks[0].id, chunks[1].id])
    assert store.chunks.get(include=[])["ids"] == [chunks[2].id]


def test_registry_publishes_and_withdraws_versions(mode_settings: Settings) -> None:
    store = open_store(mode_settings)
    store.registry.publish("a.md", "hash-1")
    store.registry.publish("b.md", "hash-2")
    store.registry.publish("a.md", "hash-3")  # a new version replaces the old one
    assert store.registry.live_versions() == {"a.md": "hash-3", "b.md": "hash-2"}
    assert store.registry.live_version("a.md") == "hash-3"
    store.registry.withdraw("a.md")
    assert store.registry.live_version("a.md") is None
    assert store.registry.count() == 1
    assert registry_name(mode_settings.chroma_collection).endswith("__documents")


# --- the server down at start-up ---------------------------------------------------------------


def test_server_down_at_start_up_is_a_clear_error(tmp_path: Path, unused_tcp_port: int) -> None:
    settings = _settings(tmp_path, "127.0.0.1", unused_tcp_port, "knowledge")
    with pytest.raises(StoreConnectionError) as caught:
        open_store(settings)
    message = str(caught.value)
    assert f"127.0.0.1:{unused_tcp_port}" in message
    assert "CHROMA_HOST" in message and "CHROMA_PORT" in message
    assert "\n" not in message
    assert is_connection_error(caught.value)


def test_retries_back_off_exponentially_and_give_up(
    tmp_path: Path, unused_tcp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(store_client.time, "sleep", sleeps.append)
    attempts: list[int] = []
    settings = _settings(tmp_path, "127.0.0.1", unused_tcp_port, "knowledge")

    def attempt() -> object:
        attempts.append(1)
        return open_store(settings)

    with pytest.raises(StoreConnectionError, match="cannot reach the Chroma server"):
        with_retries(attempt, attempts=7, first_delay=0.5, max_delay=4.0)
    assert len(attempts) == 7
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]  # doubling, capped, none after the last


def test_retries_log_each_attempt_when_no_callback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(store_client.time, "sleep", lambda _: None)
    calls = iter([StoreConnectionError("down"), StoreConnectionError("down"), "open"])

    def flaky() -> str:
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with caplog.at_level("WARNING", logger="store.client"):
        assert with_retries(flaky) == "open"
    assert [record.getMessage() for record in caplog.records] == [
        "down; retrying in 0.5 s (attempt 2 of 5)",
        "down; retrying in 1.0 s (attempt 3 of 5)",
    ]


def test_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_client.time, "sleep", lambda _: pytest.fail("slept"))

    def broken() -> None:
        raise KeyError("a bug, not an outage")

    with pytest.raises(KeyError):
        with_retries(broken)


@pytest.mark.e2e
def test_a_server_that_starts_late_is_picked_up_by_the_retries(
    chroma_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chroma_server.stop()
    settings = chroma_server.settings(tmp_path)
    monkeypatch.setattr(store_client.time, "sleep", lambda _: None)
    retries: list[int] = []

    def start_on_second_retry(attempt: int, _delay: float) -> None:
        retries.append(attempt)
        if attempt == 2:
            chroma_server.start()

    store = with_retries(lambda: open_store(settings), on_retry=start_on_second_retry)
    assert retries == [1, 2]
    assert store.chunks.count() == 0


# --- the server lost while running --------------------------------------------------------------


@pytest.mark.e2e
def test_server_lost_mid_run_fails_clearly_and_recovers(
    chroma_server, tmp_path: Path, fake_embedder
) -> None:
    settings = chroma_server.settings(tmp_path)
    store = open_store(settings)
    chunk = _chunks()[0]
    store.chunks.upsert(
        ids=[chunk.id],
        documents=[chunk.text],
        metadatas=[chunk.metadata()],
        embeddings=[fake_embedder.embed_query(chunk.text).tolist()],
    )
    store.registry.publish(chunk.source, chunk.content_hash)

    chroma_server.kill()
    with pytest.raises(Exception) as caught:  # chromadb raises several types for a lost server
        store.chunks.count()
    assert is_connection_error(caught.value)
    with pytest.raises(StoreConnectionError, match="cannot reach the Chroma server"):
        open_store(settings)

    chroma_server.restart()
    # The handle opened before the outage works again: no reopening needed to recover.
    assert store.chunks.count() == 1
    assert store.registry.live_version(chunk.source) == chunk.content_hash
    assert open_store(settings).chunks.count() == 1


def test_connection_errors_are_recognised_through_their_causes() -> None:
    import httpx

    wrapped = RuntimeError("while querying")
    wrapped.__cause__ = httpx.ConnectError("refused")
    assert is_connection_error(wrapped)
    assert is_connection_error(ValueError("Could not connect to a Chroma server."))
    assert not is_connection_error(ValueError("bad where clause"))


# --- ingest against a dead or dying server ------------------------------------------------------


def _corpus(root: Path) -> Path:
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "voice.md").write_text(
        "---\ntitle: Voice rooms\ndoc_type: guide\nlang: en\n---\n\n# Voice rooms\n\n"
        "Voice chat rooms need echo cancellation, noise suppression and up to 16 speakers.\n",
        encoding="utf-8",
    )
    (docs / "live.md").write_text(
        "---\ntitle: Live commerce\ndoc_type: guide\nlang: en\n---\n\n# Live commerce\n\n"
        "Live shopping streams need sub-second latency for bidding and co-hosting.\n",
        encoding="utf-8",
    )
    return docs


def _manifest_rows(settings: Settings) -> list[tuple]:
    import sqlite3

    from ingest.pipeline import manifest_path

    path = manifest_path(settings)
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT store, source, content_hash, chunk_ids, pending_ids FROM documents "
            "ORDER BY store, source"
        ).fetchall()


def test_ingest_against_a_dead_server_changes_nothing(
    tmp_path: Path, unused_tcp_port: int, fake_embedder
) -> None:
    from ingest.pipeline import Ingestor

    settings = _settings(tmp_path, "127.0.0.1", unused_tcp_port, "knowledge")
    docs = _corpus(tmp_path)
    with pytest.raises(StoreConnectionError, match="cannot reach the Chroma server"):
        Ingestor(settings, fake_embedder, lock_wait_seconds=5).sync([docs])
    assert _manifest_rows(settings) == []


@pytest.mark.e2e
def test_ingest_cli_against_a_dead_server_prints_one_line_and_exits_1(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    if not bundled_model_dir().is_dir():
        pytest.skip(f"embedding model not built at {bundled_model_dir()} (run `make setup`)")
    docs = _corpus(tmp_path)
    env = {
        **os.environ,
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(unused_tcp_port),
        "DATA_DIR": str(tmp_path / "data"),
        "CHROMA_COLLECTION": "knowledge",
    }
    result = subprocess.run(
        [sys.executable, "-m", "ingest", "--json", str(docs)],
        cwd=tmp_path,  # no .env of the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ingest failed: cannot reach the Chroma server")
    assert f"127.0.0.1:{unused_tcp_port}" in lines[0]
    assert result.stdout == ""
    settings = _settings(tmp_path, "127.0.0.1", unused_tcp_port, "knowledge")
    assert _manifest_rows(settings) == []


class _KillingEmbedder:
    """Embeds like the fake, but kills the server just before the first write."""

    def __init__(self, inner, server) -> None:
        self.inner = inner
        self.server = server
        self.identity = inner.identity
        self.killed = False

    def embed_passages(self, texts: list[str]):
        vectors = self.inner.embed_passages(texts)
        if not self.killed:
            self.killed = True
            self.server.kill()
        return vectors

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


@pytest.mark.e2e
def test_ingest_losing_the_server_mid_run_loses_nothing(
    chroma_server, tmp_path: Path, fake_embedder
) -> None:
    pytest.importorskip("ingest.loaders")
    pytest.importorskip("ingest.chunking")
    from ingest.pipeline import Ingestor

    settings = chroma_server.settings(tmp_path)
    docs = _corpus(tmp_path)
    first = Ingestor(settings, fake_embedder, lock_wait_seconds=5).sync([docs])
    assert (first.added, first.failed) == (2, [])
    before = _manifest_rows(settings)
    assert [row[4] for row in before] == [None, None]  # settled

    (docs / "voice.md").write_text(
        (docs / "voice.md").read_text(encoding="utf-8") + "\nNew: spatial audio.\n",
        encoding="utf-8",
    )
    dying = _KillingEmbedder(fake_embedder, chroma_server)
    with pytest.raises(Exception) as caught:
        Ingestor(settings, dying, lock_wait_seconds=5).sync([docs])
    assert is_connection_error(caught.value)
    after = [row[:4] for row in _manifest_rows(settings)]
    # The live versions the manifest records did not move: the change is not marked done.
    assert after == [row[:4] for row in before]

    chroma_server.restart()
    again = Ingestor(settings, fake_embedder, lock_wait_seconds=5).sync([docs])
    assert (again.updated, again.unchanged, again.failed) == (1, 1, [])
    store = open_store(settings)
    live = store.registry.live_versions()
    assert {Path(source).name for source in live} == {"voice.md", "live.md"}
    hashes = {row[1]: row[2] for row in _manifest_rows(settings)}
    assert live == hashes
    # Only the new version's chunks remain for the changed file.
    voice = str(docs / "voice.md")
    stored = store.chunks.get(where={"source": voice}, include=["documents"])["documents"]
    assert any("spatial audio" in text for text in stored)
    assert json.dumps(again.to_json())  # the CLI's summary is still serialisable


def test_store_settings_follow_the_test_server(
    store_settings: Settings, chroma_test_server
) -> None:
    if chroma_test_server is None:
        assert not store_settings.uses_chroma_server
    else:
        assert (store_settings.chroma_host, store_settings.chroma_port) == (
            chroma_test_server.host,
            chroma_test_server.port,
        )
        assert store_settings.chroma_collection != "knowledge"  # a collection of its own
    assert open_store(store_settings).chunks.count() == 0
