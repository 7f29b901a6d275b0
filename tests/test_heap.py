"""Handing memory back (voicecoach.app.heap): one glibc arena for the coach's threads."""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import textwrap

import pytest

from voicecoach.app import heap

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

#: A thread allocates, then glibc lists its arenas on stderr ("Arena 0:", "Arena 1:" ...).
_THREAD_ALLOCATES = textwrap.dedent(
    """
    import ctypes, sys, threading
    from voicecoach.app import heap
    if sys.argv[1] == "limit":
        assert heap.limit_arenas()
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    def work():
        libc.free(ctypes.c_void_p(libc.malloc(100_000)))
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    libc.malloc_stats()
    """
)


def _arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _THREAD_ALLOCATES, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stderr.count("Arena ")


@glibc
def test_with_the_arenas_limited_another_thread_allocates_from_the_main_arena():
    assert _arenas("free") >= 2  # glibc's default: the thread gets an arena of its own
    assert _arenas("limit") == 1


def test_the_coach_limits_the_arenas_before_anything_else(monkeypatch: pytest.MonkeyPatch):
    from voicecoach.app import config
    from voicecoach.app.commands import run

    calls: list[str] = []
    monkeypatch.setattr(heap, "limit_arenas", lambda: calls.append("arenas") or True)

    def settings(args: argparse.Namespace) -> config.Settings:
        calls.append("settings")
        raise config.ConfigError("stop here")

    monkeypatch.setattr(config, "settings_from_args", settings)
    assert run.run(argparse.Namespace()) == 2
    assert calls == ["arenas", "settings"]
