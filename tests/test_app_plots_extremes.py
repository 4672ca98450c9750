"""Plots of a run that diverged (issue 13, class 6): losses of 10³⁰⁰ and beyond, ∞ and NaN are drawn as
gaps, and the log axis's tick code never overflows (``10.0 ** v`` raised OverflowError and broke
pyqtgraph's painting)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from bpstudio.app.changes import Change
from bpstudio.app.plots.axes import ReadableAxis, exp10, log_label
from bpstudio.app.plots.common import for_log_axis, plottable
from bpstudio.app.plots.grads import GradientPlotPanel
from bpstudio.app.plots.loss import LossPlotPanel
from bpstudio.app.session import Session

EXTREME = [1.0, 5e204, 1e300, 1e305, 1.7e308, math.inf, math.nan, 0.5]


def paint(widget) -> None:
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    img = QImage(widget.size(), QImage.Format.Format_ARGB32)
    widget.render(img)  # a full render: every axis generates and draws its ticks


def test_values_a_plot_cannot_draw_become_gaps():
    y = plottable(np.array(EXTREME))
    assert np.isnan(y[3:7]).all() and y[1] == 5e204 and y[2] == 1e300
    assert np.isnan(for_log_axis(np.array([0.0, -1.0, math.inf, 2.0]))[:3]).all()


def test_log_tick_code_survives_any_range(qtbot):
    axis = ReadableAxis("left")
    assert exp10(400.0) == math.inf and log_label(math.inf) == "inf"
    for lo, hi in [(-5.0, 400.0), (300.0, 308.5), (-400.0, 5.0), (0.0, math.inf), (math.nan, 3.0)]:
        axis.logTickValues(lo, hi, 300.0, [(1.0, [lo]), (0.5, [])])
        axis.logTickStrings([v for v in (lo, hi) if math.isfinite(v)], 1.0, 1.0)
    axis._linear_in_log(307.9, 308.4, 200.0)


@pytest.mark.parametrize("log", [False, True], ids=["linear", "log"])
def test_a_diverged_history_is_drawn_in_both_panels(qtbot, log):
    session = Session()
    loss, grads = LossPlotPanel(session), GradientPlotPanel(session)
    for w in (loss, grads):
        qtbot.addWidget(w)
        w.resize(600, 400)
        w.show()
    session.step_epoch()
    h = session.trainer.history
    h.step_loss.extend(EXTREME)
    h.grad_norms.extend([[v] * len(h.grad_norms[0]) for v in EXTREME])
    h.epochs.append(h.epochs[-1] + 1)
    for sp in h.loss:
        h.loss[sp].append(math.inf if h.loss[sp][-1] is not None else None)
        h.accuracy[sp].append(h.accuracy[sp][-1])
    session.changed.emit(Change.HISTORY)
    loss.log_box.setChecked(log)
    grads.log_box.setChecked(log)
    for w in (loss, grads):
        paint(w)
    y = loss.raw_curve.getOriginalDataset()[1]
    assert np.isnan(y[-5:-1]).all() and y[-1] == 0.5


@pytest.mark.parametrize("log", [False, True], ids=["linear", "log"])
def test_epoch_curves_of_nothing_drawable_are_empty_not_all_gaps(qtbot, log, recwarn):
    """Epoch losses that all become gaps (∞, or ≤ 0 on a log axis) draw nothing: a scatter of only
    NaN made pyqtgraph warn "All-NaN slice encountered" on every frame of the random-use soak."""
    session = Session()
    loss = LossPlotPanel(session)
    qtbot.addWidget(loss)
    loss.resize(600, 400)
    loss.show()
    session.step_epoch()
    h = session.trainer.history
    for sp in h.loss:
        if h.loss[sp][-1] is not None:
            h.loss[sp][-1] = 0.0 if log else math.inf
            h.accuracy[sp][-1] = math.inf
    session.changed.emit(Change.HISTORY)
    loss.log_box.setChecked(log)
    paint(loss)
    assert all(
        curve.getOriginalDataset()[0] is None or len(curve.getOriginalDataset()[0]) == 0
        for curve in (*loss.epoch_curves.values(), *loss.acc_curves.values())
    )
    assert not [
        str(w.message) + w.filename + str(w.lineno) for w in recwarn if issubclass(w.category, RuntimeWarning)
    ]
