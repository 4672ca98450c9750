"""When the window has shown a training snapshot (training.gate.ShowGate), and the runner built on it.

The gate must stay closed (the training thread must wait) until everything the window queued while
showing a snapshot has been handled: calls queued at the moment the event loop looks idle, relayouts
and the repaints they cause, panel refreshes still on the frame scheduler.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from bpstudio.app.main_window import MainWindow
from bpstudio.app.plots.common import PAINT_GRACE_MS, frame_scheduler
from bpstudio.app.training.gate import ShowGate
from bpstudio.workspace import load_example, trainer_for

TIMEOUT = 30_000


class Recorder(QWidget):
    """A small window that notes its repaints and relayouts in ``order``."""

    def __init__(self, order: list[str]) -> None:
        super().__init__()
        self.order = order
        self.resize(120, 80)

    def paintEvent(self, event) -> None:
        self.order.append("paint")

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.order.append("relayout")
        return super().event(event)


class Emitter(QObject):
    fire = Signal()


@pytest.fixture
def rig(qtbot):
    order: list[str] = []
    widget = Recorder(order)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: "paint" in order)
    qtbot.wait(4 * PAINT_GRACE_MS)  # the window's first paints are over
    order.clear()
    gate = ShowGate()
    gate.shown.connect(lambda _busy: order.append("shown"))
    gate._grace.timeout.connect(lambda: order.append("grace over"))
    yield gate, widget, order
    gate.cancel()


def once(fn):
    """``fn`` the first time only (the hook below fires at every grace period)."""
    done = []

    def wrapper(*args):
        if not done:
            done.append(True)
            fn()

    return wrapper


def test_the_gate_opens_once_the_window_is_quiet(rig, qtbot):
    gate, _widget, order = rig
    gate.begin()
    assert gate.waiting
    with qtbot.waitSignal(gate.shown, timeout=TIMEOUT) as blocker:
        pass
    assert not gate.waiting
    assert order[-1] == "shown" and "grace over" in order  # after a quiet grace period
    assert blocker.args[0] >= PAINT_GRACE_MS / 1000.0


def test_a_call_queued_when_the_loop_looks_idle_is_handled_before_the_gate_opens(rig, qtbot):
    """The glib dispatcher says "about to block" before handling the posted events of an iteration:
    a call queued by then (a graphics scene's repaint call after a relayout) must keep the worker
    waiting, and so must the repaint it asks for."""
    gate, widget, order = rig
    emitter = Emitter()
    late = []

    def queued_call() -> None:
        order.append("queued call")
        late.append(gate.waiting)
        widget.update()

    emitter.fire.connect(queued_call, Qt.ConnectionType.QueuedConnection)
    gate._grace.timeout.connect(once(emitter.fire.emit))  # queued just after the grace period
    gate.begin()
    with qtbot.waitSignal(gate.shown, timeout=TIMEOUT):
        pass
    assert late == [True]  # the worker was still waiting when the queued call ran
    assert order.index("queued call") < order.index("paint") < order.index("shown")
    # after the repaint, a whole grace period passed before the gate opened
    assert order[order.index("paint") :].count("grace over") == 1


def test_a_relayout_restarts_the_grace_period(rig, qtbot):
    gate, widget, order = rig

    def relayout() -> None:
        QCoreApplication.postEvent(widget, QEvent(QEvent.Type.LayoutRequest))

    gate._grace.timeout.connect(once(relayout))
    gate.begin()
    with qtbot.waitSignal(gate.shown, timeout=TIMEOUT):
        pass
    assert order[-1] == "shown"
    # the gate waited for a whole quiet grace period after the relayout
    assert "grace over" in order[order.index("relayout") :]


def test_panel_refreshes_requested_late_run_before_the_gate_opens(rig, qtbot):
    gate, _widget, order = rig
    owner = QObject()

    def job() -> None:
        order.append("panel refresh")

    gate._grace.timeout.connect(once(lambda: frame_scheduler().request(id(owner), job, owner)))
    gate.begin()
    with qtbot.waitSignal(gate.shown, timeout=TIMEOUT):
        pass
    assert order.index("panel refresh") < order.index("shown")
    assert not frame_scheduler().busy


def test_a_cancelled_gate_stays_shut_and_stops_listening(rig, qtbot):
    gate, widget, order = rig
    gate.begin()
    gate.cancel()
    assert not gate.waiting
    marker = []
    QTimer.singleShot(6 * PAINT_GRACE_MS, lambda: marker.append(True))
    widget.update()
    qtbot.waitUntil(lambda: bool(marker), timeout=TIMEOUT)
    assert "shown" not in order and "grace over" not in order
    # begun again, it works as before (a probe left over from the cancelled round changes nothing)
    gate.begin()
    with qtbot.waitSignal(gate.shown, timeout=TIMEOUT):
        pass
    assert order[-1] == "shown"


# ---------------------------------------------------------------------- the runner in the window
@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.training.shutdown()
    w.session.undo_stack.setClean()
    w.session._trained_since_save = False


def set_epochs(window, epochs: int) -> None:
    s = window.session
    assert s.set_config(dataclasses.replace(s.config, epochs=epochs))


def test_every_snapshot_is_shown_before_the_worker_trains_on(window, qtbot):
    ws, s = window.training, window.session
    events: list[str] = []
    ws.runner.progress.connect(lambda _u: events.append("snapshot"))
    ws.runner.snapshotShown.connect(lambda _busy: events.append("shown"))
    set_epochs(window, 2_000)
    with qtbot.waitSignal(ws.runner.finished, timeout=TIMEOUT) as blocker:
        ws.actions["run"].trigger()  # Run, as from the toolbar
    assert blocker.args[0].reason == "epochs"
    assert events and events[0] == "snapshot"
    # strictly alternating: the worker sends the next snapshot only after the last one was shown
    for a, b in zip(events, events[1:]):
        assert a != b
    # and the run's result is exactly the headless engine's
    headless, _ = trainer_for(load_example())
    headless.set_config(s.config)
    headless.run(epochs=2_000)
    for a, b in zip(s.network.weights + s.network.biases, headless.network.weights + headless.network.biases):
        np.testing.assert_array_equal(a, b)
    assert s.trainer.history.to_dict() == headless.history.to_dict()


def test_pausing_while_the_window_shows_a_snapshot(window, qtbot):
    ws, s = window.training, window.session
    set_epochs(window, 10_000_000)
    paused = []

    def pause_now(_update) -> None:  # the worker is waiting for the window right now
        if not paused:
            paused.append(True)
            ws.actions["run"].trigger()

    ws.runner.progress.connect(pause_now)
    with qtbot.waitSignal(ws.runner.finished, timeout=TIMEOUT) as blocker:
        ws.actions["run"].trigger()
    assert blocker.args[0].reason == "cancelled"
    assert not s.running and not ws.runner.running
    shown = []
    ws.runner.snapshotShown.connect(lambda _busy: shown.append(True))
    epoch = s.trainer.epoch
    ws.runner.progress.disconnect(pause_now)
    # the run goes on from where it was paused, and its snapshots are shown as before
    with qtbot.waitSignal(ws.runner.snapshotShown, timeout=TIMEOUT):
        ws.actions["run"].trigger()
    with qtbot.waitSignal(ws.runner.finished, timeout=TIMEOUT) as blocker:
        ws.actions["run"].trigger()
    assert blocker.args[0].reason == "cancelled"
    assert s.trainer.epoch > epoch and shown
    assert QApplication.activeModalWidget() is None
