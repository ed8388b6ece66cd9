"""Keeps a long-running bot's memory from creeping: glibc malloc tuned before threads start.

Answering several chats at once runs retrieval in several worker threads. By default glibc gives
each thread its own arena (up to 8 per core) and raises its mmap threshold after the first large
free, so the transient buffers of each answer stay in arenas instead of going back to the
system. Measured with `python -m bench.bot_rss` (docs/benchmarks.md): a bot answering five
chats at once held 720-745 MB, 650-660 MB with two arenas and a fixed 4 MiB mmap threshold.
A lower threshold returns a little more but costs every answer dozens of milliseconds of
mmap/munmap calls (a 128 KiB one more than doubled the time of an answer).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

# mallopt parameters, from glibc's <malloc.h>.
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024


def limit_allocator_growth() -> bool:
    """Apply the settings when the C library is glibc; False (and nothing done) elsewhere."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl, macOS: no mallopt, nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = mallopt(_M_ARENA_MAX, ARENAS) == 1 and (
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    )
    if not applied:
        log.debug("mallopt refused the allocator settings")
    return applied
