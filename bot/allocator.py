"""Keeps a long-running bot's memory from creeping: glibc malloc tuned before threads start.

Answering several chats at once runs retrieval in several worker threads. By default glibc gives
each thread its own arena (up to 8 per core) and raises its mmap threshold after the first large
free, so the transient buffers of each answer stay in arenas instead of going back to the
system. Measured with `python -m bench.bot_rss` (docs/benchmarks.md): a bot answering five
chats at once held 720-745 MB, 650-670 MB with two arenas and a fixed 4 MiB mmap threshold
(8 MiB trim threshold). A lower mmap threshold returns a little more but costs every answer
dozens of milliseconds of mmap/munmap calls (a 128 KiB one more than doubled answer time).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

# mallopt parameters, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
# Fixing the mmap threshold also fixes the trim threshold at 128 KiB: the heap would then be
# given back and faulted in again around every 2 MB weight the encoder expands (twice the time
# of an answer). Twice the mmap threshold, as glibc's own adjustment would set it.
TRIM_THRESHOLD_BYTES = 2 * MMAP_THRESHOLD_BYTES


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
    settings = (
        (_M_ARENA_MAX, ARENAS),
        (_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
        (_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
    )
    applied = all(mallopt(parameter, value) == 1 for parameter, value in settings)
    if not applied:
        log.debug("mallopt refused the allocator settings")
    return applied
