"""glibc malloc settings that keep the pipeline's resident memory bounded (docs/BENCHMARKS.md)."""

from __future__ import annotations

import ctypes
import gc

_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # mallopt parameters (malloc.h)
_state = {"capped": False}


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, macOS): nothing to tune
        return None


def limit_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas in this process (M_ARENA_MAX), once.

    connectorx runs each read on fresh threads, and glibc gives new threads new arenas whose
    freed memory it keeps: without a cap a staging worker grew by about 2 MB per batch read."""
    libc = _libc()
    if not _state["capped"] and libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)
        libc.mallopt(_M_MMAP_THRESHOLD, 256 * 1024)
    _state["capped"] = True


def release(collect: bool = True) -> None:
    """Hand freed heap pages back to the system: after big inputs are dropped (collecting garbage
    first), and after each staged partition (`collect=False`: a collection of the run's millions of
    objects would cost more than the trim)."""
    if collect:
        gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
