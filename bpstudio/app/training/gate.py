"""When has the window finished showing a training snapshot? The turn-taking half of the runner.

While a run streams snapshots, the training thread and the window take turns for the GIL: the worker
waits (without the GIL) from the moment it sends a snapshot until the window has shown it, because
every repaint calls into Python hundreds of times and each call would otherwise wait for the busy
worker (the window stalls, training slows down). :class:`ShowGate` decides when "shown" is:

1. the panels' refreshes queued on the frame scheduler (one per turn of the event loop) are done;
2. the event loop is about to wait (``QAbstractEventDispatcher.aboutToBlock``);
3. a grace period of ``PAINT_GRACE_MS`` passes without a repaint, a queued call or a relayout (Qt
   repaints a window from a 5 ms timer after ``update()``; a relayout, such as a plot's axis widening
   for its first tick labels, leads to another repaint); any of them restarts the grace period;
4. the event loop is about to wait again, and then a *probe*, an event posted at the lowest priority,
   comes back without anything having been repainted meanwhile. This last step is needed because the
   glib event dispatcher (Linux) emits ``aboutToBlock`` at the start of every iteration, even with
   posted events still queued: without the probe the worker resumed while the repaint calls of a
   relayout were queued, and that repaint then took 60–140 ms, waiting for the GIL (measured, see
   docs/benchmarks.md, "Training workspace").

Between snapshots the GUI thread stays out of Python: the gate listens to events only while a
snapshot is being shown. It is its own application event filter: a helper filter object holding a
reference back to the gate made a reference cycle of Qt wrappers, and when Python's garbage collector
later broke such a cycle (a gate without a parent, in the tests), PySide 6.10 corrupted memory and
the process crashed a while afterwards.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QAbstractEventDispatcher, QCoreApplication, QEvent, QObject, QTimer, Signal

from ..plots.common import PAINT_GRACE_MS, frame_scheduler

#: posted to the gate once the window looks idle after showing a snapshot: when it arrives, the GUI
#: thread has handled every event queued before it
PROBE_EVENT = QEvent.Type(QEvent.registerEventType())
#: the probe's priority: below everything Qt posts (repaint requests use Qt.LowEventPriority, -1)
PROBE_PRIORITY = -1000
#: what restarts the grace period: repaints, relayouts (a plot's axis widening leads to another
#: repaint) and queued calls (a graphics scene repaints through one)
WATCHED = (QEvent.Type.UpdateRequest, QEvent.Type.Paint, QEvent.Type.MetaCall, QEvent.Type.LayoutRequest)


class ShowGate(QObject):
    """Emits :attr:`shown` once the window has shown what :meth:`begin` announced (see the module)."""

    #: seconds from :meth:`begin` until the window was quiet again
    shown = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phase = ""  # "showing" → "grace" → "ready" → "probe"; "" when not waiting
        self.started_at: float | None = None
        self._probes = 0  # probes posted and not yet delivered
        self._grace = QTimer(self)
        self._grace.setSingleShot(True)
        self._grace.setInterval(PAINT_GRACE_MS)
        self._grace.timeout.connect(self._grace_over)
        self._filtering = False  # installed as the application's event filter
        self._dispatcher: QAbstractEventDispatcher | None = None

    @property
    def waiting(self) -> bool:
        """True from :meth:`begin` until :attr:`shown` (or :meth:`cancel`)."""
        return bool(self.phase)

    def begin(self) -> None:
        """A snapshot has been handed to the widgets: watch the window until it has shown it."""
        self.started_at = time.perf_counter()
        self.phase = "showing"
        dispatcher = QAbstractEventDispatcher.instance(self.thread())
        if dispatcher is None:  # no event loop to watch
            self._open()
            return
        app = QCoreApplication.instance()
        if not self._filtering and app is not None:
            app.installEventFilter(self)  # see eventFilter
            self._filtering = True
        if self._dispatcher is None:
            self._dispatcher = dispatcher
            dispatcher.aboutToBlock.connect(self._idle)

    def cancel(self) -> None:
        """Stop watching (the run has ended); :attr:`shown` is not emitted."""
        self._stop()
        self.started_at = None

    # ------------------------------------------------------------------ the states
    def _idle(self) -> None:
        if not self.phase:
            return
        if frame_scheduler().busy:  # panels still to refresh, one per turn of the event loop
            self.phase = "showing"
            self._grace.stop()
        elif self.phase == "showing":
            self.phase = "grace"
            self._grace.start()
        elif self.phase == "ready":
            self.phase = "probe"
            self._probes += 1
            QCoreApplication.postEvent(self, QEvent(PROBE_EVENT), PROBE_PRIORITY)

    def event(self, event: QEvent) -> bool:
        """The probe: every event queued before it has been handled; open the gate if nothing was
        repainted or relaid out meanwhile (that sends the gate back to its grace period)."""
        if event.type() == PROBE_EVENT:
            self._probes -= 1
            if self._probes == 0 and self.phase == "probe":  # the latest probe, nothing painted since
                if frame_scheduler().busy:
                    self.phase = "showing"
                else:
                    self._open()
            return True
        return super().event(event)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """While a snapshot is being shown: notice repaints, relayouts and the queued calls that lead
        to them (the gate is the application's event filter only meanwhile)."""
        if event.type() in WATCHED:
            self.painting()
        return False

    def _grace_over(self) -> None:
        if self.phase == "grace":
            self.phase = "ready"

    def painting(self) -> None:
        """Something is still being repainted or relaid out: wait for a quiet grace period again."""
        if self.phase in ("grace", "ready", "probe"):
            self.phase = "grace"
            self._grace.start()

    def _open(self) -> None:
        started = self.started_at
        self._stop()
        self.started_at = None
        self.shown.emit(time.perf_counter() - started if started is not None else 0.0)

    def _stop(self) -> None:
        self.phase = ""
        self._grace.stop()
        app = QCoreApplication.instance()
        if self._filtering and app is not None:
            app.removeEventFilter(self)
        self._filtering = False
        if self._dispatcher is not None:
            self._dispatcher.aboutToBlock.disconnect(self._idle)
            self._dispatcher = None
