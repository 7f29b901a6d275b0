"""Handing freed memory back to the system between utterances (glibc only).

Decoding and scoring an utterance allocate tens of megabytes for a moment (the encoder's
activations, log-probabilities over the whole vocabulary per sentence scored).  glibc keeps
what is freed for the next allocation, and its threshold for giving large blocks straight
back to the system rises after the first such block is freed, so a spoken session's
resident memory climbed by ~40-60 MB over six minutes without needing any of it
(docs/benchmarks.md, "Peak memory of a spoken session").  `malloc_trim` returns the free
pages (~2 ms).  It is called only once the process has grown by `GROWTH_BYTES` since the
last time: every decode reuses ~15 MB, and trimming that away each time would make the next
decode pay page faults for fresh pages (5-9 % slower on a short command).  Fixing glibc's
threshold instead (`M_MMAP_THRESHOLD`) made every decode pay them: 25-50 % slower.
Elsewhere (macOS, musl) this does nothing.

`limit_arenas` keeps every thread's allocations in one arena: the Whisper model runs in
CTranslate2's own worker thread (and a microphone session decodes on the listener thread
while the main thread scores), and glibc gives each thread its own arena, from which
`malloc_trim` gave back far less: the steady memory between utterances was ~235-255 MB with
separate arenas and ~215 MB with one (same decoding time on one core).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

#: Growth of the resident memory since the last trim that makes the next one worth it.
GROWTH_BYTES = 24 * 1024 * 1024
#: glibc's mallopt parameter for the most arenas (malloc.h).
M_ARENA_MAX = -8
#: Arenas the coach's threads share (see the module docstring).
ARENAS = 1


@cache
def _libc() -> Any:
    """The C library, or None."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


@cache
def _malloc_trim() -> Any:
    """glibc's malloc_trim, or None."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Let all threads allocate from at most `arenas` glibc arenas (M_ARENA_MAX); True when
    set.  Call it first thing, before other threads allocate: an arena once made stays."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))


def resident_bytes() -> int | None:
    """This process's resident memory now (Linux), else None."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class Trimmer:
    """Gives freed memory back when the process has grown by `growth` bytes since the
    last time (or since it was made)."""

    def __init__(self, growth: int = GROWTH_BYTES) -> None:
        self.growth = growth
        self.floor = resident_bytes()
        self.trims = 0

    def after_utterance(self) -> bool:
        """Call when an utterance has been dealt with; True when memory was given back."""
        trim, now = _malloc_trim(), resident_bytes()
        if trim is None or now is None:
            return False
        if self.floor is not None and now - self.floor < self.growth:
            self.floor = min(self.floor, now)
            return False
        trim(0)
        self.trims += 1
        self.floor = resident_bytes()
        log.debug("gave freed memory back: %d -> %s MB", now >> 20, (self.floor or 0) >> 20)
        return True
