"""The loss and gradient-norm plots draw a reopened, thinned history at the right updates, its smoothed
loss curve is the one seen before saving, and training continued in the window appends after it."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from bpstudio.app.plots.common import display_positions, moving_average
from bpstudio.app.plots.grads import GradientPlotPanel
from bpstudio.app.plots.loss import LossPlotPanel
from bpstudio.app.session import Session
from bpstudio.engine import History
from bpstudio.workspace import load_example

N = 30_000  # saved as 10,000 means of k = 3 updates; the automatic smoothing window is 300 updates
K = 3


def long_history() -> History:
    rng = np.random.default_rng(1)
    u = np.arange(N)
    h = History()
    h.step_loss = (np.exp(-u / 6_000) + 0.1 * rng.random(N)).tolist()
    h.grad_norms = np.column_stack([np.exp(-u / 9_000), 0.3 + 0.2 * rng.random(N)]).tolist()
    h.epochs = [1, 2, 3]
    h.loss = {"train": [0.5, 0.3, 0.2], "val": [None] * 3, "test": [None] * 3}
    h.accuracy = {"train": [0.5, 0.75, 1.0], "val": [None] * 3, "test": [None] * 3}
    return h


@pytest.fixture
def reopened(qtbot, tmp_path):
    """A session showing the XOR project with a 30,000-update history, saved and opened again; the
    loss and gradient plots, and the per-update losses before saving."""
    session = Session()
    project = load_example("xor")
    project.history = long_history()
    raw = np.asarray(project.history.step_loss)
    norms = np.asarray(project.history.grad_norms)
    session.set_project(project)
    loss, grads = LossPlotPanel(session), GradientPlotPanel(session)
    for w in (loss, grads):
        qtbot.addWidget(w)
        w.resize(600, 400)
        w.show()
    before = loss.smooth_curve.getOriginalDataset()
    path = tmp_path / "long.bps.json"
    session.save(path)
    session.open(path)
    return session, loss, grads, raw, norms, before


def test_a_reopened_thinned_history_is_drawn_at_the_right_updates(reopened):
    session, loss, grads, raw, norms, before = reopened
    h = session.trainer.history
    assert len(h.step_loss) == N // K and h.step_count == N
    assert session.trainer.step_count == N and session.trainer.epoch == 3
    x, y = loss.raw_curve.getOriginalDataset()
    np.testing.assert_allclose(x, np.arange(N // K) * K + 2)  # the middle of updates 1–3, 4–6, …
    np.testing.assert_allclose(y, raw.reshape(-1, K).mean(axis=1), rtol=1e-12)
    assert loss.smoothing_window == N // 100  # 1 % of the updates, not of the stored points

    sx, sy = loss.smooth_curve.getOriginalDataset()
    ends = (display_positions(N // K) + 1) * K
    np.testing.assert_array_equal(sx, ends)
    # the very curve shown before saving, at the updates where it is drawn now
    np.testing.assert_allclose(sy, moving_average(raw, N // 100)[ends - 1], rtol=1e-9)
    bx, by = before
    assert bx[-1] == sx[-1] == N
    np.testing.assert_allclose(sy, np.interp(sx, bx, by), rtol=0.02)

    for l, curve in enumerate(grads.norm_curves):  # smoothed: at the buckets' last updates
        gx, gy = curve.getOriginalDataset()
        np.testing.assert_array_equal(gx, ends)
        np.testing.assert_allclose(gy, moving_average(norms[:, l], N // 100)[ends - 1], rtol=1e-9)


def test_unsmoothed_gradient_norms_are_drawn_at_the_middle_of_their_updates(reopened, qtbot):
    _session, _loss, grads, _raw, norms, _before = reopened
    qtbot.mouseClick(grads.smooth_box, Qt.MouseButton.LeftButton)
    assert not grads.smooth_box.isChecked()
    gx, gy = grads.norm_curves[0].getOriginalDataset()
    np.testing.assert_allclose(gx, np.arange(N // K) * K + 2)
    np.testing.assert_allclose(gy, norms[:, 0].reshape(-1, K).mean(axis=1), rtol=1e-12)


def test_training_in_the_window_after_reopening_continues_the_update_count(reopened):
    session, loss, grads, _raw, _norms, _before = reopened
    session.step_epoch()  # XOR online: 4 updates
    h = session.trainer.history
    assert session.trainer.step_count == h.step_count == N + 4
    x, y = loss.raw_curve.getOriginalDataset()
    assert len(x) == N // K + 4
    np.testing.assert_array_equal(x[-5:], [N - 1, N + 1, N + 2, N + 3, N + 4])
    np.testing.assert_array_equal(y[-4:], h.step_loss[-4:])
    gx, _ = grads.norm_curves[1].getOriginalDataset()
    assert gx[-1] == N + 4
    session.undo_step()  # back to the reopened history: the curves follow
    x, _ = loss.raw_curve.getOriginalDataset()
    assert len(x) == N // K and x[-1] == N - 1 and session.trainer.step_count == N


def test_the_csv_exports_name_the_last_update_of_each_point(reopened, tmp_path, monkeypatch):
    _session, loss, grads, raw, norms, _before = reopened
    for panel, name, column, expected in (
        (loss, "loss", 1, raw.reshape(-1, K).mean(axis=1)),
        (grads, "grads", 1, norms[:, 0].reshape(-1, K).mean(axis=1)),
    ):
        target = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        panel.export_button.csv_action.trigger()
        rows = list(csv.reader(open(tmp_path / f"{name}.csv", encoding="utf-8")))
        assert rows[0][0] == "update"
        data = [r for r in rows[1:] if r[0] != ""]
        assert len(data) == N // K
        np.testing.assert_array_equal([int(float(r[0])) for r in data[:3]], [3, 6, 9])
        assert int(float(data[-1][0])) == N
        np.testing.assert_allclose([float(r[column]) for r in data], expected, rtol=1e-9)
