"""Hovering a neuron on the canvas shows that neuron's own map in the decision-boundary plot while the
pointer rests on it; leaving returns to the selected neuron's map (or the network output)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from bpstudio.app.canvas.view import NetworkView
from bpstudio.app.changes import Change
from bpstudio.app.plots.boundary import RESOLUTION, BoundaryPlotPanel
from bpstudio.app.session import Selection, Session
from bpstudio.app.training.runner import TrainingRunner
from bpstudio.engine import Network

TIMEOUT = 30_000


@pytest.fixture
def rig(qtbot):
    """The canvas and the boundary plot side by side on one session (the XOR example, trained a little,
    so that every hidden neuron's map differs from the output's)."""
    session = Session()
    for _ in range(30):
        session.step_epoch()
    window = QWidget()
    view = NetworkView(session)
    panel = BoundaryPlotPanel(session)
    layout = QHBoxLayout(window)
    layout.addWidget(view, 1)
    layout.addWidget(panel, 1)
    qtbot.addWidget(window)
    window.resize(1100, 450)
    window.show()
    qtbot.waitExposed(window)
    yield session, view, panel
    window.close()


def neuron_point(view: NetworkView, layer: int, index: int) -> QPoint:
    """Where neuron ``index`` of neuron layer ``layer`` is on the screen (viewport coordinates)."""
    return view.mapFromScene(view.network_scene.neuron_centre(layer, index))


def empty_point(view: NetworkView) -> QPoint:
    """A point of the canvas with nothing under it (above the drawing, left of the legend's corner)."""
    p = QPoint(view.viewport().width() // 2, 8)
    assert view.hit_at(p) is None
    return p


def grid_points(panel: BoundaryPlotPanel) -> np.ndarray:
    xs, ys = panel.grid
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    return np.column_stack([gx.ravel(), gy.ravel()])


def numpy_forward(net: Network, X: np.ndarray) -> list[np.ndarray]:
    """Every layer's activation by hand: a⁽ˡ⁺¹⁾ = σ(W⁽ˡ⁾ a⁽ˡ⁾ + b⁽ˡ⁺¹⁾) (the XOR example is all sigmoid)."""
    assert set(net.activations) == {"sigmoid"}
    acts = [X]
    for W, b in zip(net.weights, net.biases):
        acts.append(1.0 / (1.0 + np.exp(-(acts[-1] @ W.T + b))))
    return acts


def hover_at(qtbot, view: NetworkView, panel: BoundaryPlotPanel, point: QPoint, expect) -> None:
    """Move the pointer to ``point`` of the canvas and wait until the plot shows ``expect``."""
    qtbot.mouseMove(view.viewport(), point + QPoint(1, 1))  # a move, even if the last test ended here
    qtbot.mouseMove(view.viewport(), point)
    qtbot.waitUntil(lambda: panel.hovered == expect, timeout=2000)


def image_of(panel: BoundaryPlotPanel) -> np.ndarray:
    return np.asarray(panel.image.image, dtype=float)


def test_hovering_a_hidden_neuron_shows_its_own_map_and_leaving_restores_the_output(rig, qtbot):
    session, view, panel = rig
    X = grid_points(panel)
    acts = numpy_forward(session.network, X)
    output = acts[2][:, 0].reshape(RESOLUTION, RESOLUTION)
    np.testing.assert_allclose(image_of(panel), output, rtol=1e-12)
    assert panel.plot.titleLabel.text.startswith("Network output")

    hover_at(qtbot, view, panel, neuron_point(view, 1, 1), (1, 1))  # hidden neuron 2
    assert session.hovered == Selection("neuron", 1, 1)
    a2 = acts[1][:, 1].reshape(RESOLUTION, RESOLUTION)
    np.testing.assert_allclose(image_of(panel), a2, rtol=1e-12)
    np.testing.assert_allclose(panel.values, a2, rtol=1e-12)
    assert not np.allclose(a2, output)
    title = panel.plot.titleLabel.text
    assert title.startswith("Hover: a₂⁽²⁾, hidden neuron 2 · sigmoid")
    assert panel.what_box.currentData() == "2:-1"  # the Show box keeps the user's choice

    hover_at(qtbot, view, panel, neuron_point(view, 1, 0), (1, 0))  # along the layer: hidden neuron 1
    np.testing.assert_allclose(image_of(panel), acts[1][:, 0].reshape(RESOLUTION, RESOLUTION), rtol=1e-12)

    hover_at(qtbot, view, panel, empty_point(view), None)  # off the neurons: the output again
    assert session.hovered is None
    np.testing.assert_allclose(image_of(panel), output, rtol=1e-12)
    assert "Hover:" not in panel.plot.titleLabel.text

    hover_at(qtbot, view, panel, neuron_point(view, 1, 1), (1, 1))
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))  # the pointer leaves the canvas
    qtbot.waitUntil(lambda: panel.hovered is None, timeout=2000)
    np.testing.assert_allclose(image_of(panel), output, rtol=1e-12)


def test_leaving_returns_to_the_selected_neuron(rig, qtbot):
    session, view, panel = rig
    acts = numpy_forward(session.network, grid_points(panel))
    hover_at(qtbot, view, panel, neuron_point(view, 1, 0), (1, 0))
    assert "Hover:" in panel.plot.titleLabel.text
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=neuron_point(view, 1, 0))
    assert session.selection == Selection("neuron", 1, 0)
    qtbot.waitUntil(lambda: "Selected:" in panel.plot.titleLabel.text, timeout=2000)
    assert panel.hovered == (1, 0)  # the pointer still rests on it

    hover_at(qtbot, view, panel, neuron_point(view, 1, 1), (1, 1))
    np.testing.assert_allclose(image_of(panel), acts[1][:, 1].reshape(RESOLUTION, RESOLUTION), rtol=1e-12)
    assert "Hover:" in panel.plot.titleLabel.text

    hover_at(qtbot, view, panel, empty_point(view), None)
    assert panel.shown == (1, 0)
    np.testing.assert_allclose(image_of(panel), acts[1][:, 0].reshape(RESOLUTION, RESOLUTION), rtol=1e-12)
    title = panel.plot.titleLabel.text
    assert title.startswith("Selected: a₁⁽²⁾, hidden neuron 1")


def test_hovering_the_output_or_an_input_or_an_edge_keeps_sensible_maps(rig, qtbot):
    session, view, panel = rig
    output = image_of(panel).copy()
    hover_at(qtbot, view, panel, neuron_point(view, 2, 0), (2, -1))  # the single output: its map
    np.testing.assert_allclose(image_of(panel), output)
    assert panel.plot.titleLabel.text.startswith("Hover: network output")
    hover_at(qtbot, view, panel, neuron_point(view, 0, 1), None)  # an input has no map of its own
    assert session.hovered == Selection("neuron", 0, 1)
    np.testing.assert_allclose(image_of(panel), output)
    edge = view.mapFromScene(view.network_scene.edge_point(1, 0, 1, 0.5))
    hover_at(qtbot, view, panel, edge, None)
    assert session.hovered is not None and session.hovered.kind in ("edge", "bias")


def test_moving_between_neurons_reuses_the_grid_activations(rig, qtbot, monkeypatch):
    session, view, panel = rig
    passes = []
    forward = Network.forward

    def counting(self, X, *args, **kwargs):
        if len(X) == RESOLUTION * RESOLUTION:
            passes.append(1)
        return forward(self, X, *args, **kwargs)

    monkeypatch.setattr(Network, "forward", counting)
    for k in (1, 0, 1, 0):
        hover_at(qtbot, view, panel, neuron_point(view, 1, k), (1, k))
    hover_at(qtbot, view, panel, empty_point(view), None)
    assert passes == []  # every map came from the activations computed for these weights
    session.step_epoch()  # new weights: one new pass, and the hovered map follows them
    assert len(passes) == 1
    hover_at(qtbot, view, panel, neuron_point(view, 1, 1), (1, 1))
    assert len(passes) == 1
    acts = numpy_forward(session.network, grid_points(panel))
    np.testing.assert_allclose(image_of(panel), acts[1][:, 1].reshape(RESOLUTION, RESOLUTION), rtol=1e-12)


def test_hover_changes_in_one_turn_of_the_event_loop_are_drawn_once(rig, qtbot, monkeypatch):
    session, _view, panel = rig
    drawn = []
    refresh = panel.refresh
    monkeypatch.setattr(panel, "refresh", lambda: (drawn.append(panel.shown), refresh())[1])
    for k in (0, 1, 0, 1):  # e.g. a burst of mouse moves handled together
        session.hover(Selection("neuron", 1, k))
    assert drawn == []
    qtbot.waitUntil(lambda: panel.hovered == (1, 1), timeout=2000)
    assert drawn == [(1, 1)]  # the last one wins


def test_hover_during_a_run(rig, qtbot, monkeypatch):
    session, view, panel = rig
    runner = TrainingRunner(session)
    runner.set_speed(100.0)  # slow enough to hover between snapshots
    passes = []
    forward = Network.forward

    def counting(self, X, *args, **kwargs):
        if len(X) == RESOLUTION * RESOLUTION:
            passes.append(1)
        return forward(self, X, *args, **kwargs)

    monkeypatch.setattr(Network, "forward", counting)
    snapshots = []
    session.changed.connect(lambda c: snapshots.append(1) if c & Change.VALUES else None)
    try:
        with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
            assert runner.start(epochs=30)
        for k in (1, 0, 1):
            hover_at(qtbot, view, panel, neuron_point(view, 1, k), (1, k))
        assert session.running  # all of that happened during the run
        qtbot.waitUntil(lambda: not runner.running, timeout=TIMEOUT)
    finally:
        runner.stop(wait=True)
    # at most one grid pass per set of weights shown: hovering added none
    assert 0 < len(passes) <= len(snapshots)
    qtbot.waitUntil(lambda: not panel.throttle.stale and not session.running, timeout=2000)
    hover_at(qtbot, view, panel, neuron_point(view, 1, 0), (1, 0))
    acts = numpy_forward(session.network, grid_points(panel))
    np.testing.assert_allclose(image_of(panel), acts[1][:, 0].reshape(RESOLUTION, RESOLUTION), rtol=1e-12)


def test_hovering_a_row_of_the_neuron_table_maps_that_neuron(qtbot):
    from bpstudio.app.table.view import TraceTablePanel

    session = Session()
    session.step_epoch()
    window = QWidget()
    table = TraceTablePanel(session)
    panel = BoundaryPlotPanel(session)
    layout = QHBoxLayout(window)
    layout.addWidget(table, 1)
    layout.addWidget(panel, 1)
    qtbot.addWidget(window)
    window.resize(1100, 450)
    window.show()
    qtbot.waitExposed(window)
    view, model = table.neuron_view, table.neuron_model
    row = model.find_row(1, 1, -1)  # hidden neuron 2
    centre = view.visualRect(model.index(row, 1)).center()
    qtbot.mouseMove(view.viewport(), centre + QPoint(0, 1))
    qtbot.mouseMove(view.viewport(), centre)
    qtbot.waitUntil(lambda: panel.hovered == (1, 1), timeout=2000)
    acts = numpy_forward(session.network, grid_points(panel))
    np.testing.assert_allclose(image_of(panel), acts[1][:, 1].reshape(RESOLUTION, RESOLUTION), rtol=1e-12)
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))
    qtbot.waitUntil(lambda: panel.hovered is None, timeout=2000)
    np.testing.assert_allclose(image_of(panel), acts[2][:, 0].reshape(RESOLUTION, RESOLUTION), rtol=1e-12)
    window.close()
