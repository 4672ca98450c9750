"""A small reusable background task: a function runs in a worker thread, reports partial results, can
be cancelled, and takes turns with the window (after Orange3's ``concurrent`` helpers).

The function gets a :class:`TaskState` and talks to the window only through it:

* ``state.cancelled`` — checked between two pieces of work; :meth:`BackgroundTask.cancel` sets it;
* ``state.send(partial)`` — hands an immutable partial result to the window (``BackgroundTask.partial``)
  and, with ``wait=True``, waits (without holding the GIL) until the window calls
  :meth:`BackgroundTask.resume`, so that the two threads do not compete while the window draws it;
* ``state.wait(seconds)`` — sleeps, but wakes at once when the task is cancelled or nudged
  (:meth:`BackgroundTask.nudge`, e.g. for a new speed).

Its return value arrives as ``BackgroundTask.finished``; an exception it raises as
``BackgroundTask.failed`` (the window never thinks the task still runs). Every signal is delivered in
the window's thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from .. import gui_gc

#: the longest a task waits for the window to take a partial result (a safety net)
RESUME_TIMEOUT = 2.0


class TaskState:
    """The worker side of a task: cancellation, partial results, waiting (thread-safe)."""

    def __init__(self, emit: Callable[[Any], None]) -> None:
        self._emit = emit
        self._cancel = threading.Event()
        self._wake = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        #: seconds spent waiting for the window to take partial results
        self.waited = 0.0

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def send(self, partial: Any, wait: bool = False) -> None:
        """Hand ``partial`` to the window; with ``wait``, until the window has taken it (or a timeout)."""
        if wait:
            self._resume.clear()
        self._emit(partial)
        if wait:
            t0 = time.perf_counter()
            self._resume.wait(RESUME_TIMEOUT)
            self.waited += time.perf_counter() - t0

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when cancelled or nudged."""
        self._wake.wait(seconds)
        self._wake.clear()

    # called from the window's thread
    def cancel(self) -> None:
        self._cancel.set()
        self._wake.set()
        self._resume.set()

    def nudge(self) -> None:
        self._wake.set()

    def resume(self) -> None:
        self._resume.set()


class _Worker(QObject):
    # each carries (the worker, the value), so that the task ignores what an earlier worker still sends
    partial = Signal(object)
    ended = Signal(object)

    def __init__(self, fn: Callable[[TaskState], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.state = TaskState(lambda value: self.partial.emit((self, value)))
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False

    @Slot()
    def run(self) -> None:
        try:
            self.result = self.fn(self.state)
        except Exception as exc:  # reported to the window, which decides what to say
            self.error = exc
        self.done = True
        self.ended.emit((self, None))


class BackgroundTask(QObject):
    """Runs one function at a time in a worker thread (see the module docstring)."""

    partial = Signal(object)
    finished = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception it raised

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        #: the garbage collector is held for the running thread (bpstudio.app.gui_gc)
        self._held = False

    @property
    def running(self) -> bool:
        return self._worker is not None

    @property
    def state(self) -> TaskState | None:
        return None if self._worker is None else self._worker.state

    def start(self, fn: Callable[[TaskState], Any]) -> None:
        if self._worker is not None:
            raise RuntimeError(f"{self.name}: a task is running already")
        worker = _Worker(fn)
        thread = QThread(self)
        thread.setObjectName(self.name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.partial.connect(self._on_partial)
        worker.ended.connect(self._on_ended)
        self._thread, self._worker = thread, worker
        gui_gc.hold()  # no collection in the worker thread (released in _end or stop)
        self._held = True
        thread.start()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.state.cancel()

    def nudge(self) -> None:
        if self._worker is not None:
            self._worker.state.nudge()

    def resume(self) -> None:
        if self._worker is not None:
            self._worker.state.resume()

    def stop(self) -> None:
        """Cancel and block until the function has returned; its result is delivered before this returns."""
        worker, thread = self._worker, self._thread
        if worker is None or thread is None:
            return
        worker.state.cancel()
        thread.quit()
        thread.wait()
        if self._worker is worker and worker.done:
            self._end(worker)
        self._release()

    # ------------------------------------------------------------------ the worker's signals
    @Slot(object)
    def _on_partial(self, pair: tuple[_Worker, Any]) -> None:
        if pair[0] is self._worker:
            self.partial.emit(pair[1])

    @Slot(object)
    def _on_ended(self, pair: tuple[_Worker, Any]) -> None:
        worker = self._worker
        if worker is not None and pair[0] is worker:
            if self._thread is not None:
                self._thread.quit()
                self._thread.wait()
            self._end(worker)

    def _release(self) -> None:
        if self._held:
            self._held = False
            gui_gc.release()

    def _end(self, worker: _Worker) -> None:
        thread = self._thread
        self._worker = self._thread = None
        self._release()  # (the thread has finished: _on_ended and stop wait for it)
        if thread is not None:
            thread.deleteLater()
        if worker.error is not None:
            self.failed.emit(worker.error)
        else:
            self.finished.emit(worker.result)
