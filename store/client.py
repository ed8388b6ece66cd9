"""The store factory: the embedded Chroma store or a Chroma server, one collection schema."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from config.settings import Settings
from store.registry import DocumentRegistry
from store.schema import registry_name
from store.sentences import SentenceStore, sentence_collection_name

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

COLLECTION_METADATA = {"hnsw:space": "cosine"}
T = TypeVar("T")
log = logging.getLogger(__name__)

# chromadb's HTTP client waits forever by default (httpx timeout=None): a hung server would hang
# the bot's worker threads with it. Connecting is quick or hopeless; a write of a large batch or a
# query on a big collection may legitimately take a while.
CONNECT_TIMEOUT_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 120.0


class StoreConnectionError(Exception):
    """The Chroma server cannot be reached, or the embedded store cannot be opened."""


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """Where the store is, resolved once from the settings and an optional `--store DIR`.

    `key` names the store in state files (the ingest manifest, caches): the same store always
    gives the same key. `description` names it in messages."""

    collection: str
    path: Path | None  # the embedded store's folder; None for a Chroma server
    url: str = ""  # the Chroma server's; empty for an embedded store

    @property
    def key(self) -> str:
        """The store's identity: its resolved folder or server URL, and the collection."""
        where = self.url or str(self.path.resolve() if self.path else "")
        return f"{where}#{self.collection}"

    @property
    def description(self) -> str:
        """A human-readable name of the store, for messages."""
        return f"Chroma server {self.url.removeprefix('http://')}" if self.url else str(self.path)


def locate_store(settings: Settings, store_dir: Path | None = None) -> StoreLocation:
    """The store in use: `store_dir` when given, else the server when CHROMA_HOST is set, else
    CHROMA_PATH."""
    if store_dir is None and settings.uses_chroma_server:
        url = f"http://{settings.chroma_host}:{settings.chroma_port}"
        return StoreLocation(settings.chroma_collection, None, url)
    return StoreLocation(settings.chroma_collection, store_dir or settings.chroma_path)


def _http_client(settings: Settings, url: str, chroma_settings: object) -> ClientAPI:
    import chromadb

    try:
        # The constructor already talks to the server (it checks the tenant and database).
        client = chromadb.HttpClient(
            host=settings.chroma_host or "127.0.0.1",
            port=settings.chroma_port or 8000,
            settings=chroma_settings,  # type: ignore[arg-type]
        )
        _set_timeouts(client)
        client.heartbeat()
    except Exception as error:  # chromadb raises bare ValueError/httpx errors for a dead server
        raise StoreConnectionError(
            f"cannot reach the Chroma server at {url}: is it running, and are CHROMA_HOST and "
            f"CHROMA_PORT right? ({_reason(error)})"
        ) from None
    return client


def _set_timeouts(client: ClientAPI) -> None:
    """Give chromadb's httpx session finite timeouts (it has none, and no setting for them)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _client(settings: Settings, location: StoreLocation) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if location.path is None:
        return _http_client(settings, location.url, chroma_settings)
    path = location.path
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as error:
        raise StoreConnectionError(f"cannot open the store at {path}: {error}") from None


def is_connection_error(error: BaseException) -> bool:
    """True when `error` (or what caused it) means the store could not be reached."""
    import httpx

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreConnectionError | httpx.TransportError | ConnectionError):
            return True
        # chromadb reports a refused connection as a bare ValueError with this text.
        if isinstance(current, ValueError) and "could not connect" in str(current).lower():
            return True
        current = current.__cause__ or current.__context__
    return False


@dataclass(frozen=True)
class StoreHandle:
    """The chunk collection, the registry of live document versions and the chunks' sentence
    vectors, opened together."""

    chunks: Collection
    registry: DocumentRegistry
    sentences: SentenceStore
    client: ClientAPI | None = None


def open_store(settings: Settings, store_dir: Path | None = None) -> StoreHandle:
    """Open (creating if missing) the store; `store_dir` overrides the configured store."""
    location = locate_store(settings, store_dir)
    client = _client(settings, location)
    try:
        # No embedding function: Chroma's default downloads a model, and we embed ourselves.
        chunks = client.get_or_create_collection(
            name=settings.chroma_collection,
            metadata=COLLECTION_METADATA,
            embedding_function=None,
        )
        registry = client.get_or_create_collection(
            name=registry_name(settings.chroma_collection),
            embedding_function=None,
        )
        sentences = client.get_or_create_collection(
            name=sentence_collection_name(settings.chroma_collection),
            embedding_function=None,
        )
    except Exception as error:
        raise StoreConnectionError(
            f"cannot open collection {settings.chroma_collection!r} in "
            f"{location.description} ({_reason(error)})"
        ) from None
    return StoreHandle(
        chunks=chunks,
        registry=DocumentRegistry(registry),
        sentences=SentenceStore(sentences),
        client=client,
    )


def with_retries(
    action: Callable[[], T],
    *,
    attempts: int = 5,
    first_delay: float = 0.5,
    max_delay: float = 8.0,
    on_retry: Callable[[int, float], None] | None = None,
) -> T:
    """Run `action`, retrying StoreConnectionError with bounded exponential backoff.

    With the defaults it gives up after 5 attempts and 0.5 + 1 + 2 + 4 = 7.5 s of waiting,
    re-raising the last error. Without `on_retry`, each retry is logged as a warning.
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except StoreConnectionError as error:
            if attempt == attempts:
                raise
            if on_retry:
                on_retry(attempt, delay)
            else:
                log.warning(
                    "%s; retrying in %.1f s (attempt %d of %d)", error, delay, attempt + 1, attempts
                )
            time.sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")
