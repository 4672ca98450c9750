"""How many threads the BLAS library (matrix products) may use while the engine trains.

A training step of a small or mid-size network multiplies matrices too small to gain from a second
thread: handing half a product to another thread costs more than it saves, and when there are more
runnable threads than cores (a GUI repainting, other programs on a shared lab machine) each hand-off
can wait milliseconds for a core. So the engine runs products below :data:`THREADED_MNK` on one
thread, and leaves larger ones to the library's own choice.

The thread count also decides how some products are summed (a sum may be split between threads), so
it must be the same whenever bit-identical results are expected: the traced step and the fast loop ask
:func:`threads_for` with the same network and batch size and get the same answer.

The control works with the OpenBLAS that NumPy's wheels bundle, reached through ctypes (no extra
dependency). With any other BLAS, or none found, :func:`limit` does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

#: a step whose largest product has at least this many multiply-adds (m·n·k) may use several threads
THREADED_MNK = 1 << 22

_lock = threading.Lock()
_funcs: tuple[Any, ...] | None = None
_loaded = False
_holders = 0
_saved: int | None = None


def _candidate_paths() -> list[str]:
    """Shared libraries that may be OpenBLAS: those loaded in this process, then NumPy's bundled ones."""
    paths: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 6 and "openblas" in os.path.basename(parts[-1]).lower():
                    paths.append(parts[-1])
    except OSError:
        pass
    import numpy

    base = os.path.dirname(numpy.__file__)
    for folder in (base + ".libs", os.path.join(base, ".dylibs"), os.path.join(base, "_core")):
        paths.extend(sorted(glob.glob(os.path.join(folder, "*openblas*"))))
    return list(dict.fromkeys(paths))


def _load() -> tuple[Any, ...] | None:
    global _funcs, _loaded
    if _loaded:
        return _funcs
    _loaded = True
    for path in _candidate_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_", ""):
            for suffix in ("64_", "", "_64"):
                get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype = ctypes.c_int
                    get.argtypes = []
                    put.restype = None
                    put.argtypes = [ctypes.c_int]
                    _funcs = (get, put)
                    return _funcs
    return None


def available() -> bool:
    """True if the BLAS thread count can be controlled."""
    return _load() is not None


def get_threads() -> int | None:
    """The BLAS library's current thread count (None if it cannot be read)."""
    funcs = _load()
    return None if funcs is None else int(funcs[0]())


def threads_for(sizes: Sequence[int], batch: int) -> int | None:
    """1 if every product of a training step on ``batch`` samples is below :data:`THREADED_MNK`
    multiply-adds, else None (the library decides)."""
    biggest = max((batch * sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1)), default=0)
    return 1 if biggest < THREADED_MNK else None


@contextlib.contextmanager
def limit(threads: int | None) -> Iterator[None]:
    """Within the block the BLAS library uses one thread (``threads`` = 1); None changes nothing.

    The count is process-wide: the first of nested or concurrent holders sets it, the last restores it.
    """
    global _holders, _saved
    if threads != 1 or _load() is None:
        yield
        return
    get, put = _funcs  # type: ignore[misc]
    with _lock:
        if _holders == 0:
            _saved = int(get())
            if _saved != 1:
                put(1)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _saved is not None and _saved != 1:
                put(_saved)
