"""Start-up steps on threads: results and errors reach the caller; the vector indexes warm."""

from __future__ import annotations

import threading

import pytest

from config.settings import Settings
from store.client import open_store
from store.warmup import StartUp, warm_collections


def test_steps_run_side_by_side_and_hand_back_their_results() -> None:
    both_running = threading.Barrier(2, timeout=10)

    def step(value: int) -> int:
        both_running.wait()  # only passes when the two steps run at the same time
        return value * 2

    start = StartUp()
    start.start("a", step, 1)
    start.start("b", step, 2)
    assert (start.result("a"), start.result("b")) == (2, 4)
    start.finish()


def test_a_failed_step_raises_in_the_caller_unless_another_error_is_at_hand() -> None:
    def broken() -> None:
        raise ValueError("no model")

    start = StartUp()
    start.start("model", broken)
    with pytest.raises(ValueError, match="no model"):
        start.result("model")
    with pytest.raises(ValueError, match="no model"):
        start.finish()
    quiet = StartUp()
    quiet.start("model", broken)
    quiet.finish(quietly=True)


def test_warming_queries_the_chunks_collection_with_a_stored_vector(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(store_settings)
    assert warm_collections(store) >= 0.0  # an empty store: nothing to query, no error
    store.chunks.add(
        ids=["c1", "c2"],
        documents=["one", "two"],
        metadatas=[{"source": "a.md"}, {"source": "b.md"}],
        embeddings=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    )
    queried: list[str] = []
    real_query = type(store.chunks).query

    def counting(self: object, *args: object, **kwargs: object) -> object:
        queried.append(self.name)  # type: ignore[attr-defined]
        return real_query(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(store.chunks), "query", counting)
    warm_collections(store)
    assert queried == [store.chunks.name]  # the sentences hold no vector index to load
