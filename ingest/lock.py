"""One ingest at a time per store: a second run waits, then gives up with a clear message."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import IngestError


class StoreBusy(IngestError):
    """Another ingest holds the store's lock for longer than we are willing to wait."""


@contextmanager
def store_lock(
    path: Path, *, wait_seconds: float = 300.0, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive lock file; the OS releases it if the holder dies, even by kill -9."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait:
                    on_wait()
                    told = True
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"another ingest is still running on this store (lock {path}); "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(handle, 0)
        os.write(handle, str(os.getpid()).encode())
        yield
    finally:
        os.close(handle)
