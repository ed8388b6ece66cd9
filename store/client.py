"""The store factory: the embedded Chroma store or a Chroma server, one collection schema."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from config.settings import Settings
from store.registry import DocumentRegistry
from store.schema import registry_name

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

COLLECTION_METADATA = {"hnsw:space": "cosine"}
T = TypeVar("T")


class StoreConnectionError(Exception):
    """The Chroma server cannot be reached, or the embedded store cannot be opened."""


def _client(settings: Settings, store_dir: Path | None) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if store_dir is None and settings.uses_chroma_server:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host or "127.0.0.1",
                port=settings.chroma_port or 8000,
                settings=chroma_settings,
            )
        except Exception as error:  # chromadb raises bare ValueError/ConnectionError variants
            raise StoreConnectionError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                f" ({type(error).__name__})"
            ) from None
    path = store_dir or settings.chroma_path
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as error:
        raise StoreConnectionError(f"cannot open the store at {path}: {error}") from None


def describe_store(settings: Settings, store_dir: Path | None = None) -> str:
    """A human-readable name of the store in use, for messages."""
    if store_dir is None and settings.uses_chroma_server:
        return f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
    return str(store_dir or settings.chroma_path)


@dataclass(frozen=True)
class StoreHandle:
    """The chunk collection and the registry of live document versions, opened together."""

    chunks: Collection
    registry: DocumentRegistry


def open_store(settings: Settings, store_dir: Path | None = None) -> StoreHandle:
    """Open (creating if missing) the store; `store_dir` overrides the configured store."""
    client = _client(settings, store_dir)
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
    except Exception as error:
        raise StoreConnectionError(
            f"cannot open collection {settings.chroma_collection!r} in "
            f"{describe_store(settings, store_dir)} ({type(error).__name__})"
        ) from None
    return StoreHandle(chunks=chunks, registry=DocumentRegistry(registry))


def with_retries(
    action: Callable[[], T],
    *,
    attempts: int = 5,
    first_delay: float = 0.5,
    max_delay: float = 8.0,
    on_retry: Callable[[int, float], None] | None = None,
) -> T:
    """Run `action`, retrying StoreConnectionError with bounded exponential backoff."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except StoreConnectionError:
            if attempt == attempts:
                raise
            if on_retry:
                on_retry(attempt, delay)
            time.sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")
