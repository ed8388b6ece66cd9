"""The malloc settings the bot applies before its threads start."""

from __future__ import annotations

import ctypes.util
import platform

import pytest

from bot import allocator


def test_glibc_accepts_the_settings() -> None:
    if not ctypes.util.find_library("c") or platform.libc_ver()[0] != "glibc":
        pytest.skip("not a glibc system")
    assert allocator.limit_allocator_growth() is True


def test_without_a_c_library_nothing_is_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator.ctypes.util, "find_library", lambda name: None)
    assert allocator.limit_allocator_growth() is False


def test_a_c_library_without_mallopt_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoMallopt:
        def __init__(self, name: str) -> None:
            self.name = name

        def __getattr__(self, attribute: str) -> object:
            raise AttributeError(attribute)

    monkeypatch.setattr(allocator.ctypes, "CDLL", NoMallopt)
    assert allocator.limit_allocator_growth() is False
