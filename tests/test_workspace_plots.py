"""Plot docks: loss curves follow the history, the decision boundary is the network's forward pass,
gradient norms and weight histograms, and every plot exports PNG, SVG and CSV."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from bpstudio.app.changes import Change
from bpstudio.app.plots.boundary import RESOLUTION, BoundaryPlotPanel
from bpstudio.app.plots.common import moving_average
from bpstudio.app.plots.grads import HIST_BINS, GradientPlotPanel
from bpstudio.app.plots.loss import LossPlotPanel
from bpstudio.app.session import Selection, Session
from bpstudio.engine import Network


@pytest.fixture
def session():
    return Session()


def show(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    return widget


def test_loss_curves_follow_the_history(session, qtbot):
    p = show(qtbot, LossPlotPanel(session))
    session.step_epoch()
    session.step_epoch()
    h = session.trainer.history
    x, y = p.raw_curve.getOriginalDataset()
    np.testing.assert_array_equal(y, h.step_loss)
    np.testing.assert_array_equal(x, np.arange(1, len(h.step_loss) + 1))
    ex, ey = p.epoch_curves["train"].getOriginalDataset()
    np.testing.assert_array_equal(ey, h.loss["train"])
    assert p.acc_plot.isVisible()  # XOR is a classification task
    assert (
        p.epoch_curves["val"].getOriginalDataset()[1] is None
        or len(p.epoch_curves["val"].getOriginalDataset()[1]) == 0
    )
    session.undo_step()  # the history shrinks: the curves follow
    assert len(p.raw_curve.getOriginalDataset()[1]) == len(h.step_loss) == 4
    p.log_box.setChecked(True)
    assert p.step_plot.ctrl.logYCheck.isChecked()


def test_a_hundred_thousand_updates_are_drawn_downsampled(session, qtbot):
    p = show(qtbot, LossPlotPanel(session))
    h = session.trainer.history
    rng = np.random.default_rng(0)
    h.step_loss.extend((np.exp(-np.linspace(0, 5, 100_000)) + 0.01 * rng.random(100_000)).tolist())
    session.changed.emit(Change.HISTORY)
    assert len(p.raw_curve.getOriginalDataset()[1]) == 100_000  # every update, downsampled when drawn
    assert p.raw_curve.opts["autoDownsample"] and p.raw_curve.opts["clipToView"]
    sx, sy = p.smooth_curve.getOriginalDataset()  # the smooth curve is drawn at 2,000 points
    assert len(sx) == 2000 and sx[0] == 1 and sx[-1] == 100_000
    full = moving_average(np.array(h.step_loss), 1000)
    np.testing.assert_allclose(sy, full[sx.astype(int) - 1])
    h.step_loss.extend([0.5] * 10)  # only the new entries are converted
    session.changed.emit(Change.HISTORY)
    assert len(p.raw_curve.getOriginalDataset()[1]) == 100_010


def test_moving_average():
    y = np.array([1.0, 2.0, 3.0, np.nan, 5.0])
    np.testing.assert_allclose(moving_average(y, 2), [1.0, 1.5, 2.5, 3.0, 5.0])
    np.testing.assert_allclose(moving_average(y, 2, np.array([1, 4])), [1.5, 5.0])
    np.testing.assert_array_equal(moving_average(y, 1), y)


def test_decision_boundary_is_the_network_output(session, qtbot):
    p = show(qtbot, BoundaryPlotPanel(session))
    assert p.stack.currentWidget() is p.plots
    xs, ys = p.grid
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    expect = session.network.predict(np.column_stack([gx.ravel(), gy.ravel()]))[:, 0]
    np.testing.assert_allclose(p.values.ravel(), expect)
    assert p.values.shape == (RESOLUTION, RESOLUTION)
    session.step_epoch()  # trained: the map follows the new weights
    expect = session.network.predict(np.column_stack([gx.ravel(), gy.ravel()]))[:, 0]
    np.testing.assert_allclose(p.values.ravel(), expect)
    # a hidden neuron selected on the canvas shows its own output
    session.select(Selection("neuron", 1, 1))
    assert p.shown == (1, 1)
    _zs, acts = session.network.forward(np.column_stack([gx.ravel(), gy.ravel()]))
    np.testing.assert_allclose(p.values.ravel(), acts[1][:, 1])
    assert len(p.scatter["train"].data) == 4


def test_a_wide_network_s_decision_boundary_has_a_coarser_grid_within_the_budget(session, qtbot):
    """A hidden layer of 4,096 on the 120 × 120 grid was 59 million activations: 470 MB kept and
    2 s of every step's redraw (the step itself held that long). The grid now shrinks to keep the
    activations within GRID_BUDGET, and is fine again when the layer is narrow again."""
    from bpstudio.app.plots.boundary import GRID_BUDGET, MIN_RESOLUTION, grid_resolution
    from bpstudio.engine import edits as ed

    assert grid_resolution([2, 2, 1]) == RESOLUTION
    assert grid_resolution([2, 4096, 1]) == MIN_RESOLUTION < RESOLUTION
    p = show(qtbot, BoundaryPlotPanel(session))
    init = ed.Initial("uniform", {"r": 0.5}, 0)
    session.edit_network("wide", lambda n: ed.resize_layer(n, 1, 1500, init), structural=True)
    xs, ys = p.grid
    assert MIN_RESOLUTION < xs.size == ys.size < RESOLUTION
    kept = sum(a.size for a in p.activations()[1:])
    assert kept <= GRID_BUDGET
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    session.step_sample()
    expect = session.network.predict(np.column_stack([gx.ravel(), gy.ravel()]))[:, 0]
    np.testing.assert_allclose(p.values.ravel(), expect)  # the output on the coarser grid
    session.undo_stack.undo()
    assert p.grid[0].size == RESOLUTION and p.values.shape == (RESOLUTION, RESOLUTION)


def test_the_decision_boundary_title_shortens_to_fit_and_grows_back(session, qtbot):
    """A narrow dock (1280×800 at 150 %) cut "… line: output = 0.5" at the edge: the title drops its
    parts from the end until it fits, and gets them back in a wider dock."""
    p = show(qtbot, BoundaryPlotPanel(session))

    def title_whole() -> bool:
        rect = p.plot.titleLabel.item.sceneBoundingRect()
        return rect.left() >= -1 and rect.right() <= p.plots.width() + 1

    whole = "Network output · sigmoid; line: output = 0.5"
    qtbot.waitUntil(lambda: p.plot._bp_title[0] == whole and title_whole(), timeout=3000)
    p.resize(300, 300)
    qtbot.waitUntil(lambda: p.plot._bp_title[0] != whole and title_whole(), timeout=3000)
    assert p.plot._bp_title[0] in p._titles and p.plot._bp_title[0].startswith("Network output")
    assert p.plots.ci.geometry().width() <= p.plots.width() + 1  # the layout follows the narrower title
    p.resize(600, 400)
    qtbot.waitUntil(lambda: p.plot._bp_title[0] == whole and title_whole(), timeout=3000)


def test_decision_boundary_needs_two_inputs(session, qtbot):
    p = show(qtbot, BoundaryPlotPanel(session))
    big = Network.create([3, 2, 1], "sigmoid")

    def change(n):
        n.sizes, n.activations, n.weights, n.biases, n.masks = (
            big.sizes,
            big.activations,
            big.weights,
            big.biases,
            big.masks,
        )

    session.edit_network("3 inputs", change, structural=True)
    assert p.stack.currentWidget() is p.message
    assert "2 inputs" in p.message.text()


def test_multiclass_boundary_colours_the_winning_class(qtbot):
    s = Session()
    s.project.dataset = {"builtin": "gaussians"}
    net = Network.create([2, 4, 2], ["tanh", "softmax"], seed=0)

    def change(n):
        n.sizes, n.activations, n.weights, n.biases, n.masks = (
            net.sizes,
            net.activations,
            net.weights,
            net.biases,
            net.masks,
        )

    s.edit_network("two outputs", change, structural=True)
    s.set_dataset({"inline": {"inputs": [[0, 0], [1, 1], [0, 1]], "targets": [[1, 0], [0, 1], [1, 0]]}})
    p = show(qtbot, BoundaryPlotPanel(s))
    assert set(np.unique(p.values)) <= {0.0, 1.0}
    assert p.image.image.ndim == 3  # RGB


def test_gradient_norms_and_weight_histogram(session, qtbot):
    p = show(qtbot, GradientPlotPanel(session))
    session.step_epoch()
    h = session.trainer.history
    assert len(p.norm_curves) == 2
    p.smooth_box.setChecked(False)
    p.log_box.setChecked(False)  # on the log axis a zero norm is a gap
    for l, curve in enumerate(p.norm_curves):
        np.testing.assert_allclose(curve.getOriginalDataset()[1], [g[l] for g in h.grad_norms])
    counts = sum(c.getOriginalDataset()[1].sum() for c in p.hist_curves if c.isVisible())
    assert counts == 6  # every weight once (biases are not weights)
    p.hist_box.setCurrentIndex(p.hist_box.findData(1))
    assert [c.isVisible() for c in p.hist_curves] == [False, True]
    assert len(p.hist_curves[1].getOriginalDataset()[0]) == HIST_BINS + 1


@pytest.mark.parametrize("cls", [LossPlotPanel, BoundaryPlotPanel, GradientPlotPanel])
def test_every_plot_exports_png_svg_and_csv(session, qtbot, tmp_path, cls, monkeypatch):
    p = show(qtbot, cls(session))
    session.step_epoch()
    p.refresh()
    for kind in ("png", "svg"):
        out = p.export_button.export(kind, str(tmp_path / f"plot.{kind}"))
        assert out is not None and out.stat().st_size > 500
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "plot.svg").read_bytes()[:2000]
    # through the menu, as a user would: the file dialog is answered by the test
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "data"), ""))
    p.export_button.csv_action.trigger()
    rows = list(csv.reader(open(tmp_path / "data.csv", encoding="utf-8")))
    assert len(rows) > 2 and all(rows[0])
    for row in rows[1:]:
        for cell in row:
            if cell:
                float(cell)


def _x_range(plot) -> list[float]:
    plot.getViewBox().prepareForPaint()  # the auto-range of the latest data
    return plot.viewRange()[0]


@pytest.mark.parametrize("how", ["new", "example", "undo to the start"])
def test_plots_drop_old_axis_ranges_when_the_history_empties(session, qtbot, how):
    """Issue 12.10: after New, Open Example or Undo Step back to the start, the plots kept the axis
    ranges of the training before."""
    from bpstudio.workspace import load_example

    loss = show(qtbot, LossPlotPanel(session))
    grads = show(qtbot, GradientPlotPanel(session))
    for _ in range(30):
        session.step_epoch()
    for plot in (loss.epoch_plot, loss.step_plot):
        assert _x_range(plot)[1] > 20
    if how == "new":
        session.set_project(load_example("single-neuron"))
    elif how == "example":
        session.set_project(load_example("xor"))
    else:
        while session.undo_step():
            pass
        assert session.trainer.step_count == 0
    loss.refresh()  # as the throttle does on the next turn of the event loop
    grads.refresh()
    for plot in (loss.epoch_plot, loss.step_plot, loss.acc_plot, grads.norm_plot):
        assert _x_range(plot)[1] < 2, plot
    assert 1.0 < loss.acc_plot.viewRange()[1][1] < 1.2  # accuracy keeps its 0–1 scale
    session.step_epoch()  # the next data are fitted again
    loss.refresh()
    assert loss.epoch_plot.getViewBox().autoRangeEnabled()[0]


def test_data_points_are_coloured_by_class_with_one_brush_per_colour(session, qtbot, tmp_path):
    """A brush made for every point took 2.7 s for 50,000 points (opening the data, showing the
    decision boundary); the points of a class now share one."""
    from bpstudio.app.data.panel import DatasetPanel
    from bpstudio.app.plots.boundary import POINT_COLOURS, point_brushes

    brushes = point_brushes(np.array([0, 1, 0, 9]))
    assert brushes[0] is brushes[2] and brushes[0] is not brushes[1]
    assert brushes[3].color().name() == POINT_COLOURS[1]  # (class 9 of 8 colours)
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(3000, 2))
    labels = (X[:, 0] * X[:, 1] > 0).astype(int)  # 0 or 1: one output
    path = tmp_path / "two.csv"
    path.write_text("x1,x2,kind\n" + "".join(f"{x:.4f},{y:.4f},{k}\n" for (x, y), k in zip(X, labels)))
    data = show(qtbot, DatasetPanel(session))
    boundary = show(qtbot, BoundaryPlotPanel(session))
    assert session.set_dataset({"file": str(path), "format": "csv", "target": "kind"})
    for item in (data.scatter, boundary.scatter["train"]):
        spots = item.data
        assert len(spots) > 1000
        colours = {spot["brush"].color().name() for spot in spots}
        assert colours == set(POINT_COLOURS[:2])
        assert len({id(spot["brush"]) for spot in spots}) == 2
