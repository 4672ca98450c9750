"""The Loss Landscape dock (issue 15.2): two weights or random directions, computed in the background,
the current point at the grid's centre, and the optimiser's path growing as training runs."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from bpstudio.app import ui_scale
from bpstudio.app.session import Selection
from bpstudio.engine.gradcheck import batch_loss
from tests.gui_helpers import window_showing


@pytest.fixture
def window(qtbot, monkeypatch):
    w = window_showing(qtbot, monkeypatch, "landscapeDock")
    yield w
    w.training.landscape_panel.task.cancel()
    w.training.shutdown()
    ui_scale.apply(1.0)


def compute(qtbot, panel):
    with qtbot.waitSignal(panel.task.finished, timeout=30_000):
        qtbot.mouseClick(panel.compute_button, Qt.MouseButton.LeftButton)


def test_two_weights_give_the_error_surface_and_the_path_follows_training(window, qtbot):
    s, panel = window.session, window.training.landscape_panel
    assert panel.first.currentText() == "w₁₁⁽¹⁾" and panel.second.currentText() == "w₁₂⁽¹⁾"
    assert panel.message.text().startswith("Compute maps")  # a new panel says what to do first
    panel.grid.setValue(21)
    compute(qtbot, panel)
    surface = panel.surface
    assert surface is not None and surface.values.shape == (21, 21) and surface.complete
    tr = s.trainer
    assert surface.values[10, 10] == pytest.approx(batch_loss(s.network, tr.config, tr.X, tr.T), rel=1e-12)
    w11, w12 = s.network.weights[0][0, 0], s.network.weights[0][0, 1]
    assert panel.coordinates() == pytest.approx((w11, w12))
    assert "at the current point" in panel.message.text()
    x, y = panel.path_item.getData()
    assert len(x) == 1 and x[0] == pytest.approx(w11)
    for _ in range(20):
        s.step_epoch()
    x, y = panel.path_item.getData()
    assert len(x) == 21  # one point per update the window was told of
    assert (x[-1], y[-1]) == pytest.approx((s.network.weights[0][0, 0], s.network.weights[0][0, 1]))


def test_random_directions_and_a_network_change_clears_the_landscape(window, qtbot):
    s, panel = window.session, window.training.landscape_panel
    panel.mode.setCurrentIndex(1)
    assert panel.seed.isVisible() and not panel.first.isVisible() and panel.span.value() == 1.0
    panel.grid.setValue(11)
    compute(qtbot, panel)
    assert panel.surface.values.shape == (11, 11) and np.isfinite(panel.surface.values).all()
    assert panel.coordinates() == pytest.approx((0.0, 0.0), abs=1e-12)
    s.select(Selection("neuron", 1, 0))
    window.editor.add_neuron()  # (Ctrl+Shift+N): the hidden layer grows
    assert s.network.sizes == [2, 3, 1]
    assert panel.surface is None and "compute the landscape again" in panel.message.text()


def test_the_same_weight_twice_is_refused(window):
    panel = window.training.landscape_panel
    panel.second.setCurrentIndex(panel.first.currentIndex())
    assert not panel.start() and "two different" in panel.message.text()


def test_the_landscape_exports_its_picture_and_grid(window, qtbot, tmp_path):
    import csv

    s, panel = window.session, window.training.landscape_panel
    panel.grid.setValue(5)
    compute(qtbot, panel)
    s.step_epoch()
    for kind in ("png", "svg"):
        out = panel.export_button.export(kind, str(tmp_path / f"l.{kind}"))
        assert out is not None and out.stat().st_size > 500
    rows = list(csv.reader(open(panel.export_button.export("csv", str(tmp_path / "l")), encoding="utf-8")))
    assert rows[0] == ["x: w₁₁⁽¹⁾", "y: w₁₂⁽¹⁾", "loss", "path_x", "path_y"]
    assert len(rows) == 1 + 25
    grid = np.array([[float(c) for c in r[:3]] for r in rows[1:]])
    # the centre row is the current point of the computation: the two weights' values and the loss there
    surface = panel.surface
    assert grid[12, 2] == surface.centre and tuple(grid[12, :2]) == pytest.approx(panel.path[0])
    assert [float(c) for c in rows[1][3:]] == list(panel.path[0])
    assert rows[len(panel.path)][3:] != ["", ""] and rows[len(panel.path) + 1][3:] == ["", ""]


def test_the_principal_directions_of_the_training_path_span_the_plane(window, qtbot):
    s, panel = window.session, window.training.landscape_panel
    panel.mode.setCurrentIndex(panel.mode.findData("pca"))
    assert not panel.seed.isVisible() and not panel.first.isVisible()
    assert not panel.start() and "train a few steps first" in panel.message.text()
    for _ in range(30):
        s.step_epoch()
    assert len(panel.trajectory) == 31  # the start and every epoch the window was told of
    panel.mode.setCurrentIndex(0)
    panel.mode.setCurrentIndex(panel.mode.findData("pca"))  # the span fits the path now
    assert panel.span.value() > 0.01
    panel.grid.setValue(9)
    compute(qtbot, panel)
    tr = s.trainer
    assert panel.surface.values[4, 4] == pytest.approx(
        batch_loss(s.network, tr.config, tr.X, tr.T), rel=1e-12
    )
    label = panel.map_plot.getAxis("bottom").labelText
    assert label.startswith("α (principal direction 1, ") and "% of the path)" in label
    # the plane goes through the current weights: the path ends at its centre
    x, y = panel.path_item.getData()
    assert (x[-1], y[-1]) == pytest.approx((0.0, 0.0), abs=1e-12)


def test_the_landscape_of_the_current_batch(window, qtbot):
    s, panel = window.session, window.training.landscape_panel
    s.step_batch()  # XOR online: the current batch is one sample
    panel.samples.setCurrentIndex(panel.samples.findData("batch"))
    rows = panel.sample_rows()
    assert list(rows) == list(s.trace.sample_indices) and len(rows) == 1
    panel.grid.setValue(5)
    compute(qtbot, panel)
    tr = s.trainer
    assert panel.surface.centre == pytest.approx(
        batch_loss(s.network, tr.config, tr.X[rows], tr.T[rows]), rel=1e-12
    )


def test_cancel_shows_while_a_landscape_is_computed_and_stops_it(window, qtbot, monkeypatch):
    """The Cancel button takes no room in the bar until Compute is pressed (a narrow dock keeps a line);
    while the grid is computed it shows beside the progress, and a click stops the computation."""
    import threading

    from bpstudio.app.plots import landscape

    panel = window.training.landscape_panel
    real = landscape.loss_surface
    asked = threading.Event()

    def until_cancelled(net, config, X, T, d1, d2, s1, s2, progress):
        asked.set()
        while progress(0, len(s1) * len(s2)):  # the panel's callback: False once cancelled
            threading.Event().wait(0.005)  # (a worker's pause between checks, not a test's timing)
        return real(net, config, X, T, d1, d2, s1[:3], s2[:3], lambda _d, _t: True)

    monkeypatch.setattr(landscape, "loss_surface", until_cancelled)
    assert panel.cancel_button.isHidden() and panel.progress.isHidden()
    qtbot.mouseClick(panel.compute_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isVisible() and panel.progress.isVisible()
    assert not panel.compute_button.isEnabled()
    qtbot.waitUntil(asked.is_set)
    with qtbot.waitSignal(panel.task.finished, timeout=10_000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.compute_button.isEnabled())
    assert panel.cancel_button.isHidden() and panel.progress.isHidden()
