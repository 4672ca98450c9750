"""While a run streams snapshots the plots repaint without relaying out (their axes keep the room their
labels had), and when it ends the walkthrough is rebuilt over several turns of the event loop with the
same result as at once."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPainter, QPicture
from PySide6.QtWidgets import QApplication, QHBoxLayout, QMessageBox, QWidget

from bpstudio.app.changes import Change
from bpstudio.app.plots.common import PAINT_GRACE_MS, frame_scheduler, hidden
from bpstudio.app.plots.grads import GradientPlotPanel, norms_array
from bpstudio.app.plots.loss import LossPlotPanel
from bpstudio.app.session import Session
from bpstudio.app.walkthrough import panel as walkthrough_panel
from bpstudio.app.walkthrough.panel import HtmlDelegate, WalkthroughPanel
from bpstudio.engine import Network
from bpstudio.workspace import load_example


def show(qtbot, widget, w: int = 640, h: int = 420):  # (wide enough for a plot panel's controls on one line)
    qtbot.addWidget(widget)
    widget.resize(w, h)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def drawn(panel) -> None:
    """Let the panel repaint (and relay out what a repaint asks for) as the window would between turns."""
    app = QApplication.instance()
    for _ in range(3):
        app.processEvents()
        panel.plots.viewport().repaint()
    app.processEvents()


def labels(axis) -> list[str]:
    """The tick labels the axis draws now."""
    picture = QPicture()
    painter = QPainter(picture)
    try:
        painter.setFont(axis.style["tickFont"])
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in specs[2]]


def settle(qtbot) -> None:
    """Wait until the frame scheduler has run every queued refresh."""
    qtbot.waitUntil(lambda: not frame_scheduler().busy, timeout=5000)


def wide_session(hidden: int = 200) -> Session:
    """XOR with a 2-200-1 network: 400 first-layer weights, so a histogram bin can count hundreds."""
    project = load_example()
    project.network = Network.create([2, hidden, 1], ["sigmoid", "sigmoid"], init="xavier", seed=0)
    project.optimiser_state = None
    project.history = None
    return Session(project)


def set_weights(session: Session, values: np.ndarray) -> None:
    session.network.weights[0][...] = values.reshape(session.network.weights[0].shape)
    session.changed.emit(Change.VALUES)


def geometry(plot) -> tuple:
    """Where the plot's data area and its left axis are: unchanged unless the plot was relaid out."""
    vb = plot.getViewBox().geometry()
    return (vb.x(), vb.y(), vb.width(), vb.height(), plot.getAxis("left").geometry().width())


# ---------------------------------------------------------------------------------------------- plots
def test_histogram_axis_keeps_its_width_while_the_counts_shrink_during_a_run(qtbot):
    s = wide_session()
    panel = show(qtbot, GradientPlotPanel(s))
    panel.hist_box.setCurrentIndex(panel.hist_box.findData(0))  # the first layer's 400 weights
    hist = panel.hist_plot
    axis = hist.getAxis("left")
    s.set_running(True)
    set_weights(s, np.full(400, 0.25))  # every weight in one bin: a count of 400
    settle(qtbot)
    drawn(panel)
    assert max(len(t) for t in labels(axis)) == 3
    wide = axis.label_room
    before = geometry(hist)
    for spread in (1.0, 2.0, 4.0):  # the weights spread out: the counts (and their labels) get smaller
        set_weights(s, np.linspace(-spread, spread, 400))
        settle(qtbot)
        drawn(panel)
        assert max(len(t) for t in labels(axis)) <= 2, labels(axis)  # about 10 per bin
        assert axis.label_room == wide
        assert geometry(hist) == before  # repainted, not relaid out
    s.set_running(False)  # the run ends: the axis gives the room back (in a turn of its own)
    settle(qtbot)
    drawn(panel)
    assert axis.label_room < wide
    assert geometry(hist)[2] > before[2]  # the data area got the room


def test_log_axis_keeps_its_width_while_the_norms_fall_through_the_decades(qtbot):
    s = Session()
    panel = show(qtbot, GradientPlotPanel(s))
    h = s.trainer.history
    axis = panel.norm_plot.getAxis("left")
    s.set_running(True)
    rooms, geometries = [], []
    for decade in range(6):  # 1 … 10⁻⁵: 0.01, 0.001, 0.0001 and 10⁻⁵ are labels of different widths
        norms = np.logspace(-decade, -decade - 1, 50)
        h.step_loss.extend([0.5] * 50)
        h.grad_norms.extend([[float(v), float(v) * 2] for v in norms])
        s.changed.emit(Change.HISTORY)
        settle(qtbot)
        drawn(panel)
        rooms.append(axis.label_room)
        geometries.append(geometry(panel.norm_plot))
    assert len(set(rooms)) == 1 and len(set(geometries)) == 1, (rooms, geometries)
    lo, _hi = panel.norm_plot.getViewBox().viewRange()[1]
    assert lo < -5  # the axis did reach 10⁻⁶


def test_a_reset_history_gives_the_room_back(qtbot):
    s = Session()
    panel = show(qtbot, LossPlotPanel(s))
    axis = panel.step_plot.getAxis("left")
    h = s.trainer.history
    h.step_loss.extend([1500.0, 1200.0, 900.0])
    s.changed.emit(Change.HISTORY)
    drawn(panel)
    assert max(len(t) for t in labels(axis)) == 4
    wide = axis.label_room
    h.clear()  # the training starts over (as after Reset): other data
    h.step_loss.extend([0.5, 0.25])
    s.changed.emit(Change.HISTORY)
    drawn(panel)
    assert max(len(t) for t in labels(axis)) <= 4
    assert axis.label_room < wide


def test_norm_rows_become_the_same_array_as_with_numpy():
    rows = [[0.5, 1.5, 2.5], [3.0, 4.0, 5.0]]
    np.testing.assert_array_equal(norms_array(rows, 3), np.asarray(rows))
    assert norms_array([], 2).shape == (0, 2)
    with pytest.raises(ValueError):
        norms_array([[1.0, 2.0], [3.0]], 2)  # a short row is an error, not a shifted array


# ---------------------------------------------------------------------------------------- walkthrough
@pytest.fixture
def panel(qtbot):
    s = wide_session(hidden=5)
    p = show(qtbot, WalkthroughPanel(s), 420, 300)
    s.step_sample()
    assert p.walkthrough is not None and len(p.model.rows) > 15
    return p


def rows(p: WalkthroughPanel) -> list[tuple[str, str]]:
    return [(text, html) for text, _line, html in p.model.rows]


def run(s: Session, samples: int = 1) -> None:
    """A run as the runner makes it: the session says it is running while snapshots arrive."""
    s.set_running(True)
    for _ in range(samples):
        s.trace = s.trainer.step_sample()
        s.changed.emit(Change.VALUES | Change.HISTORY | Change.TRACE)
    s.set_running(False)


def test_after_a_run_the_walkthrough_is_rebuilt_over_several_turns(panel, qtbot, monkeypatch):
    monkeypatch.setattr(walkthrough_panel, "CHUNK_MS", 0.0)  # a row per turn: many turns
    s = panel.session
    panel.select_key("a[1,3]@0")
    turns = []
    advance = panel._advance
    monkeypatch.setattr(panel, "_advance", lambda: (turns.append(1), advance()))
    old = rows(panel)
    run(s, 3)
    assert panel.walkthrough.line("a[1,3]@0").value != s.trace.layers[1].a[0, 3]
    assert panel.rebuilding and rows(panel) == old  # nothing yet: the window shows the run's end first
    QApplication.processEvents()
    assert panel.rebuilding
    qtbot.waitUntil(lambda: not panel.rebuilding, timeout=10000)
    assert len(turns) > 10
    built, current = rows(panel), panel.current_line()
    text = panel.walkthrough.to_text()
    # the same as a rebuild at once
    panel.refresh()
    assert rows(panel) == built and panel.walkthrough.to_text() == text
    assert current is not None and current.key == "a[1,3]@0" == panel.current_line().key
    assert panel.walkthrough.line("a[1,3]@0").value == s.trace.layers[1].a[0, 3]


def test_the_rows_are_measured_before_the_list_lays_them_out(panel, qtbot):
    delegate = panel.view.itemDelegate()
    assert isinstance(delegate, HtmlDelegate)
    width = panel.view.viewport().width()
    unmeasured: list[int] = []  # rows whose size is not known when the list gets them

    def shown() -> None:
        sizes = delegate._sizes
        unmeasured.extend(r for r, (_t, html) in enumerate(rows(panel)) if (html, width) not in sizes)

    panel.model.modelReset.connect(shown)
    run(panel.session)
    qtbot.waitUntil(lambda: not panel.rebuilding, timeout=10000)
    assert len(panel.model.rows) > 15 and unmeasured == []
    assert panel.view.visualRect(panel.model.index(len(panel.model.rows) - 1, 0)).height() > 0


def test_a_step_during_the_rebuild_shows_that_step_at_once(panel, qtbot, monkeypatch):
    monkeypatch.setattr(walkthrough_panel, "CHUNK_MS", 0.0)
    s = panel.session
    run(s)
    assert panel.rebuilding
    s.step_sample()  # the student steps before the rebuild is done
    assert not panel.rebuilding
    assert panel.walkthrough.line("a[1,0]@0").value == s.trace.layers[1].a[0, 0]
    settle(qtbot)  # nothing left to overwrite it
    assert panel.walkthrough.line("a[1,0]@0").value == s.trace.layers[1].a[0, 0]


def test_asking_for_the_walkthrough_during_the_rebuild_finishes_it(panel, monkeypatch):
    monkeypatch.setattr(walkthrough_panel, "CHUNK_MS", 0.0)
    s = panel.session
    run(s)
    assert panel.rebuilding
    w = panel.ensure_current()
    assert not panel.rebuilding and w is panel.walkthrough
    assert w.line("a[1,0]@0").value == s.trace.layers[1].a[0, 0]


def test_a_hidden_walkthrough_catches_up_when_shown(panel, qtbot):
    s = panel.session
    panel.hide()
    run(s)
    assert not panel.rebuilding
    panel.show()
    assert panel.walkthrough.line("a[1,0]@0").value == s.trace.layers[1].a[0, 0]


def test_a_run_that_starts_during_the_rebuild_stops_it_and_its_end_rebuilds(panel, qtbot, monkeypatch):
    monkeypatch.setattr(walkthrough_panel, "CHUNK_MS", 0.0)
    s = panel.session
    run(s)
    assert panel.rebuilding
    s.set_running(True)  # Run again before the rebuild is done: no work for the panel during the run
    assert not panel.rebuilding
    s.set_running(False)
    qtbot.waitUntil(lambda: not panel.rebuilding, timeout=10000)
    assert panel.walkthrough.line("a[1,0]@0").value == s.trace.layers[1].a[0, 0]


def test_behind_the_tables_tab_the_walkthrough_waits_until_its_tab_is_chosen(qtbot, monkeypatch):
    from bpstudio.app.main_window import MainWindow

    # closing the window at the end of the test discards the trained project
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    teaching, s = window.teaching, window.session
    panel = teaching.panel
    assert hidden(panel)  # the δ/Δw table's tab is in front
    before = panel.walkthrough
    run(s)
    assert not panel.rebuilding and panel.walkthrough is before  # no work for a panel out of sight
    teaching.show_walkthrough()  # the student chooses the Walkthrough tab
    assert not hidden(panel)
    assert panel.walkthrough is not before
    assert panel.walkthrough.line("delta[1,0]@0").value == pytest.approx(s.trace.layers[1].delta[0, 0])


# ------------------------------------------------------------------------------------ frame scheduler
class Growing(QWidget):
    """A widget whose next ``grows`` repaints each find that it needs more room (as a plot axis whose
    labels got wider does), a little later (as a graphics scene tells its view through a queued call):
    the window relays it out and repaints it again."""

    def __init__(self) -> None:
        super().__init__()
        self.grows = 0
        self.painted: list[float] = []
        self.setMinimumWidth(50)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.painted.append(time.perf_counter())
        if self.grows > 0:
            self.grows -= 1
            QTimer.singleShot(PAINT_GRACE_MS // 2 + 1, lambda: self.setMinimumWidth(self.minimumWidth() + 10))


def test_the_next_refresh_waits_until_a_relayout_has_been_repainted(qtbot):
    window = QWidget()
    grower = Growing()
    layout = QHBoxLayout(window)
    layout.addWidget(grower)
    layout.addStretch(1)
    show(qtbot, window, 400, 100)
    qtbot.waitUntil(lambda: len(grower.painted) >= 1)  # shown
    grower.grows = 3
    grower.painted.clear()
    started: list[float] = []
    scheduler = frame_scheduler()
    scheduler.request(1, grower.update, grower)  # a refresh after which the widget grows 3 times
    scheduler.request(2, lambda: started.append(time.perf_counter()), grower)
    settle(qtbot)
    assert len(grower.painted) == 4 and len(started) == 1
    assert started[0] > grower.painted[-1]  # not between two of the repaints
