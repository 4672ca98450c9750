"""While a worker thread runs, cyclic garbage is collected in the GUI thread only (bpstudio.app.gui_gc).

The suite once hung for good: a gradient check's thread, its allocations starting a collection,
destroyed widgets of a window closed earlier while the GUI thread destroyed others; each held the lock
the other waited for.
"""

from __future__ import annotations

import gc
import threading
import weakref

from bpstudio.app import gui_gc
from bpstudio.app.training.background import BackgroundTask


class Node:
    """Half of a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle(finalised: list[str]) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    weakref.finalize(a, lambda: finalised.append(threading.current_thread().name))


def test_garbage_made_while_a_task_runs_is_collected_in_the_gui_thread(qtbot):
    assert gc.isenabled() and gui_gc.collector().holders == 0
    finalised: list[str] = []
    kept: list[list[int]] = []
    go = threading.Event()

    def work(_state) -> int:  # allocates enough for many collections, were they automatic
        go.wait(10)
        kept.extend([i] for i in range(20 * gc.get_threshold()[0]))
        return len(kept)

    task = BackgroundTask("allocate")
    task.start(work)
    assert not gc.isenabled()  # held from the start of the thread
    cycle(finalised)  # garbage now, in the youngest generation
    with qtbot.waitSignal(task.finished, timeout=10_000):
        go.set()
    assert gc.isenabled() and gui_gc.collector().holders == 0  # released when the thread ended
    if not finalised:  # (not collected yet: the next collection is the GUI thread's)
        gc.collect()
    assert finalised == [threading.main_thread().name]  # never the worker's
    kept.clear()


def test_the_collector_follows_python_s_thresholds(qtbot):
    c = gui_gc.collector()
    c.hold()
    try:
        assert not gc.isenabled()
        gc.collect()
        assert c.check() == -1  # nothing to do
        kept = [[i] for i in range(c.thresholds[0] + 100)]  # more allocations than the threshold
        assert c.check() >= 0 and gc.get_count()[0] < c.thresholds[0]
        assert c.check() == -1
        kept.clear()
    finally:
        c.release()
    assert gc.isenabled()
    c.release()  # (one release too many changes nothing)
    assert gc.isenabled() and c.holders == 0
