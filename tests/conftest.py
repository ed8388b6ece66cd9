"""Shared fixtures: settings for a throw-away store (embedded, or a Chroma server), embedders.

Server mode: with `CHROMA_TEST_SERVER=host:port` set, `store_settings` points every test at that
server, each test in a collection of its own. `chroma_server` starts a private `chroma run` for
tests that need to stop and restart one.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest


def _with_loopback(value: str) -> str:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    return ",".join(parts + [host for host in ("127.0.0.1", "localhost") if host not in parts])


# Set before chromadb, httpx or transformers are imported by any test module: a proxy variable
# would otherwise route loopback traffic to the proxy, and nothing may be fetched from a hub.
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = _with_loopback(os.environ.get(_name, ""))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PTB_TIMEDELTA", "1")

from config.settings import Settings, bundled_model_dir  # noqa: E402

SERVER_START_SECONDS = 60.0
FAKE_DIMENSION = 384


# --- Chroma servers ---------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def heartbeat_ok(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when a Chroma server answers its heartbeat at host:port."""
    url = f"http://{host}:{port}/api/v2/heartbeat"
    # An explicit empty proxy map: loopback must never go through a proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def chroma_executable() -> Path:
    """The `chroma` command of the environment running the tests."""
    return Path(sys.executable).parent / "chroma"


@dataclass
class ChromaServer:
    """A Chroma server: one this test session started (`process`), or an external one."""

    host: str
    port: int
    path: Path | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        """host:port, the form CHROMA_TEST_SERVER takes."""
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = SERVER_START_SECONDS) -> None:
        """Start `chroma run` on this host, port and path; wait (bounded) for its heartbeat."""
        if self.path is None:
            raise RuntimeError("an external Chroma server cannot be started from the tests")
        if self.process is not None and self.process.poll() is None:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        log_path = self.log_path or self.path.with_suffix(".log")
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(chroma_executable()),
                    "run",
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                    "--path",
                    str(self.path),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"chroma run exited with status {self.process.returncode}; see {log_path}"
                )
            if heartbeat_ok(self.host, self.port, timeout=1.0):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run gave no heartbeat within {timeout:.0f} s; see {log_path}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after `timeout`); a no-op when not running."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    def kill(self) -> None:
        """Kill the server abruptly, as a crash or an OOM kill would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Start again on the same port and path (after `stop` or `kill`)."""
        self.start()

    def settings(self, tmp_path: Path, collection: str | None = None) -> Settings:
        """Settings for this server, with DATA_DIR under `tmp_path` and its own collection."""
        return _settings(tmp_path, self, collection or unique_collection())


@pytest.fixture
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A private `chroma run` on 127.0.0.1 and a free port; stopped after the test."""
    if not chroma_executable().exists():
        pytest.skip(f"no chroma command at {chroma_executable()}")
    path = tmp_path_factory.mktemp("chroma-server") / "db"
    server = ChromaServer("127.0.0.1", free_port(), path=path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _parse_address(value: str) -> tuple[str, int]:
    match = re.fullmatch(r"\s*([^:\s]+):(\d{1,5})\s*", value)
    if not match or not 0 < int(match.group(2)) < 65536:
        raise pytest.UsageError(f"CHROMA_TEST_SERVER must be host:port, got {value!r}")
    return match.group(1), int(match.group(2))


@pytest.fixture(scope="session")
def chroma_test_server() -> ChromaServer | None:
    """The server of CHROMA_TEST_SERVER=host:port (checked once), or None: embedded mode."""
    value = os.environ.get("CHROMA_TEST_SERVER", "").strip()
    if not value:
        return None
    host, port = _parse_address(value)
    if not heartbeat_ok(host, port, timeout=5.0):
        raise pytest.UsageError(f"CHROMA_TEST_SERVER={value}: no Chroma heartbeat there")
    return ChromaServer(host, port)


@pytest.fixture(scope="session")
def any_chroma_server(
    chroma_test_server: ChromaServer | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ChromaServer]:
    """A server for tests that need one in any mode: CHROMA_TEST_SERVER's, or one started here."""
    if chroma_test_server is not None:
        yield chroma_test_server
        return
    if not chroma_executable().exists():
        pytest.skip(f"no chroma command at {chroma_executable()}")
    server = ChromaServer(
        "127.0.0.1", free_port(), path=tmp_path_factory.mktemp("chroma-shared") / "db"
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unused_tcp_port() -> int:
    """A loopback port with nothing listening: a Chroma server that is down."""
    return free_port()


# --- settings ---------------------------------------------------------------------------------


def unique_collection(prefix: str = "t") -> str:
    """A fresh collection name (Chroma wants 3+ characters of [a-zA-Z0-9._-])."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def _settings(tmp_path: Path, server: ChromaServer | None, collection: str) -> Settings:
    # Built from explicit values only: no .env of the checkout and no CHROMA_* of the shell.
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        chroma_path=tmp_path / "chroma",
        chroma_host=server.host if server else None,
        chroma_port=server.port if server else None,
        chroma_collection=collection,
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def store_settings(tmp_path: Path, chroma_test_server: ChromaServer | None) -> Settings:
    """Settings for an empty store: embedded under tmp_path, or a fresh collection on the server."""
    return _settings(tmp_path, chroma_test_server, unique_collection())


# --- embedders --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def embedder() -> object:
    """The real embedding model (the bundled multilingual-e5-small), loaded once per session."""
    path = bundled_model_dir()
    if not path.is_dir():
        pytest.skip(f"embedding model not built at {path} (run `make setup`)")
    from store.embedding import get_embedder

    return get_embedder(str(path), for_batches=True)


_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+", re.UNICODE)


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors: texts sharing words land close together."""

    name = "fake-hash-embedder"
    identity = "fake-hash-embedder"
    dimension = FAKE_DIMENSION
    batch_size = 32

    def tokens(self, text: str) -> list[str]:
        """Lower-cased words, and each CJK character on its own."""
        return _TOKEN.findall(text.lower())

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for token in self.tokens(text) or [""]:
            digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dimension
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:  # every token cancelled out: any fixed unit vector will do
            vector[0], norm = 1.0, 1.0
        return vector / norm

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(text) for text in texts])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Same space as passages (no prompts here)."""
        return self.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector."""
        return self._vector(text)

    def count_tokens(self, text: str) -> int:
        """How many tokens `tokens` finds."""
        return len(self.tokens(text))


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    """A fast, deterministic stand-in for the embedding model (dimension 384)."""
    return FakeEmbedder()
