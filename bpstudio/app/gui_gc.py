"""While a worker thread runs, Python's cyclic garbage collector runs in the GUI thread only.

CPython collects cyclic garbage in whichever thread happens to allocate when a generation's count
passes its threshold. Garbage that holds Qt objects (a closed dialog whose slots refer back to it, a
panel of a window closed earlier) is then destroyed in that thread: the training worker, a gradient
check, the autosave writer. Destroying Qt objects outside the GUI thread can crash or deadlock: the
test suite hung for good when a gradient check's thread, collecting, destroyed a widget's actions and
waited for the interpreter lock while the GUI thread, holding it, destroyed other widgets and waited
for the Qt lock the worker held. pyqtgraph names the same hazard (``pyqtgraph.util.garbage_collector``).

So whoever starts a worker thread :func:`hold`\\ s the collector first, from the GUI thread, and
:func:`release`\\ s it once the thread has finished. While it is held, automatic collection is off and
a timer in the GUI thread collects instead, with Python's thresholds (:meth:`Collector.check`).
When no worker runs, Python collects as usual (then only the GUI thread allocates much, and
collecting as objects are made keeps each collection small). Objects without cycles are freed at once
by reference counting, as always.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

#: how often the GUI thread looks at the collector's counts while a worker runs (milliseconds)
INTERVAL_MS = 100
#: the oldest generation is counted (for Python's rule of a quarter) at most this often (seconds)
SIZE_EVERY_S = 5.0


class Collector(QObject):
    """Collects in the GUI thread what Python would have collected anywhere (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        self.thresholds = gc.get_threshold()
        self.collections = [0, 0, 0]
        self.holders = 0
        #: objects in the oldest generation after the last full collection (None: not counted yet)
        self.long_lived: int | None = None
        self._sized = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)

    def hold(self) -> None:
        r"""A worker thread is about to start, or the GUI thread makes many objects for a moment
        (call from the GUI thread): no automatic collection until as many :meth:`release`\ s."""
        self.holders += 1
        if self.holders == 1:
            gc.disable()
            self._timer.start()

    def release(self) -> None:
        """What :meth:`hold` was called for has finished (call from the GUI thread)."""
        if self.holders == 0:
            return
        self.holders -= 1
        if self.holders == 0:
            self._timer.stop()
            gc.enable()

    def check(self) -> int:
        """Collect as Python would on an allocation: the oldest generation whose count passed its
        threshold (generation 0 after t₀ more allocations than frees, 1 after t₁ collections of 0,
        2 after t₂ of 1), a full collection only once the oldest generation has grown by a quarter
        since the last (Python's rule, which keeps a program holding many objects from scanning
        them all again and again). Returns the generation collected, or −1."""
        counts = gc.get_count()
        t0, t1, t2 = self.thresholds
        generation = -1
        now = time.monotonic()
        if counts[2] > t2 and now - self._sized >= SIZE_EVERY_S:  # (counting them takes 20 ms a million)
            self._sized = now
            size = len(gc.get_objects(2))
            if self.long_lived is None:
                self.long_lived = size
            elif size - self.long_lived > self.long_lived / 4:
                generation = 2
        if generation < 0 and counts[1] > t1:
            generation = 1
        elif generation < 0 and counts[0] > t0:
            generation = 0
        if generation >= 0:
            gc.collect(generation)
            self.collections[generation] += 1
            if generation == 2:
                self.long_lived = len(gc.get_objects(2))
        return generation


_collector: Collector | None = None


def collector() -> Collector:
    """The process's collector (made in the GUI thread on first use)."""
    global _collector
    if _collector is None:
        _collector = Collector()
    return _collector


def hold() -> None:
    """A worker thread is about to start: collect in the GUI thread only until :func:`release`."""
    collector().hold()


def release() -> None:
    """The worker thread that :func:`hold` was called for has finished."""
    collector().release()
