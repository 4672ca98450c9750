"""Hinton diagrams of the weights (issue 15.5): area ∝ |w|, colour = sign, one diagram per layer."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from bpstudio.app.plots import hinton
from bpstudio.app.plots.hinton import HintonWidget, layout_diagrams, squares
from bpstudio.app.session import Session
from bpstudio.app.theme import canvas_colours
from bpstudio.engine import Network
from bpstudio.engine.distributions import Q_MEDIAN


def test_diagrams_share_one_cell_size_side_by_side_inside_the_area():
    ds = layout_diagrams([(3, 2), (1, 3)], 400, 200)
    assert ds[0].cell == ds[1].cell > 0
    (x0, y0, w0, h0), (x1, y1, w1, _) = ds[0].rect, ds[1].rect
    assert x0 + w0 < x1 and x1 + w1 <= 400 and y0 >= hinton.TITLE_HEIGHT and y0 + h0 <= 200
    assert y1 == pytest.approx(y0 + ds[0].cell)  # the one-row layer is centred on the three-row one
    # every cell maps back to its (to, from)
    d = ds[0]
    for r in range(3):
        for c in range(2):
            assert d.weight_at(d.x + (c + 0.5) * d.cell, d.y + (r + 0.5) * d.cell) == (r, c)
    assert d.weight_at(d.x - 1, d.y) is None and layout_diagrams([], 100, 100) == []


def test_square_areas_are_proportional_to_the_weights():
    W = np.array([[1.0, -0.25, 0.0], [np.nan, 4.0, -4.0]])
    s = squares(W, 4.0, 10.0)
    assert s[1, 1] == s[1, 2] == pytest.approx(9.0)  # the largest fills 90 % of the cell
    assert (s[0, 0] / s[1, 1]) ** 2 == pytest.approx(0.25) and (s[0, 1] / s[1, 1]) ** 2 == pytest.approx(
        1 / 16
    )
    assert s[0, 2] == 0 and s[1, 0] == 0  # zero, and a value that is not a number: no square
    assert not squares(W, 0.0, 10.0).any()


def render(widget) -> QImage:
    image = QImage(widget.size(), QImage.Format.Format_ARGB32)
    widget.render(image)
    return image


def close(a: QColor, b: QColor) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= 12


def shown_diagrams(qtbot, first: list, second: list | None = None, removed=None):
    """A Hinton widget of a 2-2-1 network with the given weights, shown at 420 × 220, and its image."""
    session = Session()
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    net.weights[0][:] = first
    if second is not None:
        net.weights[1][:] = second
    if removed is not None:
        net.set_connection(*removed, False)
    session.project.network = net
    widget = HintonWidget(session)
    qtbot.addWidget(widget)
    widget.resize(420, 220)
    widget.show()
    return session, widget, render(widget)


def test_the_widget_draws_signs_sizes_and_removed_connections(qtbot):
    session, widget, image = shown_diagrams(qtbot, [[2.0, -2.0], [0.5, 0.0]], [[-1.0, 1.0]], (0, 1, 1))
    colours = canvas_colours()
    d0, d1 = widget.diagrams

    def centre(d, r, c) -> QColor:
        return image.pixelColor(int(d.x + (c + 0.5) * d.cell), int(d.y + (r + 0.5) * d.cell))

    assert close(centre(d0, 0, 0), colours.positive) and close(centre(d0, 0, 1), colours.negative)
    assert close(centre(d1, 0, 0), colours.negative) and close(centre(d1, 0, 1), colours.positive)
    # a weight of 0.5 has a square of half the side of the largest (2): its cell's corner stays empty
    corner = image.pixelColor(int(d0.x + 0.2 * d0.cell), int(d0.y + 1.2 * d0.cell))
    assert close(corner, colours.background) and close(centre(d0, 1, 0), colours.positive)
    # the removed connection (to 2, from 2) is a cross, not a square: its centre is the cross's colour
    assert close(centre(d0, 1, 1), colours.removed)
    assert widget.weight_at(d0.x + 1.5 * d0.cell, d0.y + 1.5 * d0.cell) == (0, 1, 1)
    names = session.names
    assert names.weight(0, 1, 1) == "w₂₂⁽¹⁾"
    assert widget.weight_at(5, 5) is None


def test_a_large_layer_is_a_colour_map(qtbot, monkeypatch):
    monkeypatch.setattr(hinton, "SQUARES_UP_TO", 3)
    _session, widget, image = shown_diagrams(qtbot, [[2.0, -2.0], [1.0, -1.0]])
    d0 = widget.diagrams[0]
    colours = canvas_colours()

    def centre(r, c) -> QColor:
        return image.pixelColor(int(d0.x + (c + 0.5) * d0.cell), int(d0.y + (r + 0.5) * d0.cell))

    assert close(centre(0, 0), colours.positive) and close(centre(0, 1), colours.negative)
    half = centre(1, 0)  # |w| = 1 of 2: halfway from the background to orange
    for ch in ("red", "green", "blue"):
        mid = (getattr(colours.background, ch)() + getattr(colours.positive, ch)()) / 2
        assert abs(getattr(half, ch)() - mid) <= 2


def test_the_gradients_dock_shows_the_diagrams_in_place_of_the_plots_and_they_follow_training(qtbot):
    from bpstudio.app.plots.grads import GradientPlotPanel

    session = Session()
    panel = GradientPlotPanel(session)
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    assert panel.view_box.itemText(1) == "Hinton diagrams"
    panel.view_box.setCurrentIndex(1)
    assert not panel.log_box.isVisible() and panel.hinton.isVisible()
    qtbot.waitExposed(panel.hinton)
    before = render(panel.hinton)
    session.step_epoch()
    for _ in range(30):
        session.step_epoch()
    qtbot.waitUntil(lambda: render(panel.hinton) != before, timeout=5000)
    assert len(panel.hinton.diagrams) == session.network.n_layers


def test_the_diagrams_export_as_png_svg_and_the_weights_as_csv(qtbot, tmp_path):
    import csv

    from bpstudio.app.plots.grads import GradientPlotPanel

    session = Session()
    session.project.network.set_connection(0, 1, 1, False)
    panel = GradientPlotPanel(session)
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    panel.view_box.setCurrentIndex(1)
    assert panel.hinton_export.isVisible() and not panel.export_button.isVisible()
    png = panel.hinton_export.export("png", str(tmp_path / "h.png"))
    image = QImage(str(png))
    assert image.width() >= 800  # twice the widget, for slides
    # the exported picture is the widget's drawing: the first weight's square is in its colour
    render(panel.hinton)
    d = panel.hinton.diagrams[0]
    w = session.network.weights[0][0, 0]
    colours = canvas_colours()
    f = image.width() / panel.hinton.width()
    pixel = image.pixelColor(int((d.x + 0.5 * d.cell) * f), int((d.y + 0.5 * d.cell) * f))
    assert close(pixel, colours.positive if w >= 0 else colours.negative)
    svg = panel.hinton_export.export("svg", str(tmp_path / "h.svg"))
    assert b"<svg" in svg.read_bytes()[:2000]
    out = panel.hinton_export.export("csv", str(tmp_path / "h.csv"))
    rows = list(csv.reader(open(out, encoding="utf-8")))
    assert rows[0] == ["weight_layer", "to", "from", "name", "value"]
    net = session.network
    assert len(rows) == 1 + net.weights[0].size + net.weights[1].size
    assert rows[1] == ["1", "1", "1", "w₁₁⁽¹⁾", repr(float(net.weights[0][0, 0]))]
    assert rows[4][:4] == ["1", "2", "2", "w₂₂⁽¹⁾"] and rows[4][4] == ""  # the removed connection


def test_the_distributions_view_draws_the_engines_records_and_exports_them(qtbot, tmp_path):
    """The third view of the Gradients dock: per layer the quantiles of |∂E/∂w|, |Δw| or the weights
    over the recorded epochs, as the history holds them (issue 15.5)."""
    import csv

    from bpstudio.app.plots.grads import GradientPlotPanel

    session = Session()
    panel = GradientPlotPanel(session)
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    panel.view_box.setCurrentIndex(2)
    view = panel.distributions
    assert panel.dist_kind.isVisible() and panel.dist_export.isVisible() and not panel.smooth_box.isVisible()
    assert panel.hist_label.text() == "Layer"
    for _ in range(48):
        session.step_epoch()
    log = session.trainer.history.dists
    assert log.epochs == list(range(4, 49, 4))  # XOR's short epochs: every 4th (record_every)
    grads = log.array("gradients")
    median = view.lines[(1, Q_MEDIAN)]
    x, y = median.getOriginalDataset()
    np.testing.assert_array_equal(x, log.epochs)
    np.testing.assert_allclose(y, grads[:, 1, Q_MEDIAN], rtol=1e-12)  # (drawn on a log axis)
    # one layer only; then the weights, signed, on a linear axis (the log box does not apply)
    panel.hist_box.setCurrentIndex(panel.hist_box.findData(0))
    assert view.lines[(0, Q_MEDIAN)].isVisible() and not view.lines[(1, Q_MEDIAN)].isVisible()
    panel.dist_kind.setCurrentIndex(panel.dist_kind.findData("weights"))
    assert not panel.log_box.isEnabled() and not view.log
    x, y = view.lines[(0, 0)].getOriginalDataset()
    np.testing.assert_array_equal(y, log.array("weights")[:, 0, 0])
    assert y[-1] == pytest.approx(np.min(session.network.weights[0]))
    panel.dist_kind.setCurrentIndex(panel.dist_kind.findData("changes"))
    assert panel.log_box.isEnabled() and view.log
    out = panel.dist_export.export("csv", str(tmp_path / "d.csv"))
    rows = list(csv.reader(open(out, encoding="utf-8")))
    assert rows[0][:3] == ["epoch", "w_W1_q00", "w_W1_q05"] and "abs_grad_W2_q50" in rows[0]
    assert len(rows) == 13 and float(rows[12][rows[0].index("abs_grad_W2_q50")]) == grads[-1, 1, Q_MEDIAN]
    assert panel.dist_export.export("png", str(tmp_path / "d.png")).stat().st_size > 500


def test_the_histograms_over_epochs_are_the_records_equal_frequency_histograms(qtbot, tmp_path):
    """The fourth view: per layer a heat map whose column for each recorded epoch is the layer's
    histogram from its 21 quantiles (5 % of the weights between neighbouring quantiles)."""
    import csv

    from bpstudio.app.plots.distributions import HIST_ROWS
    from bpstudio.app.plots.grads import GradientPlotPanel
    from bpstudio.engine.distributions import density

    session = Session()
    panel = GradientPlotPanel(session)
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    for _ in range(32):  # 8 records: XOR's short epochs are recorded every 4th (record_every)
        session.step_epoch()
    panel.view_box.setCurrentIndex(3)
    assert panel.view_box.currentText() == "Histograms over epochs" and panel.hist_export.isVisible()
    view = panel.histograms
    panel.dist_kind.setCurrentIndex(panel.dist_kind.findData("weights"))
    assert len(view.images) == 2 and not view.log
    log = session.trainer.history.dists
    q = log.array("weights")[:, 1, :]
    edges, shares = view.grids[1]
    assert shares.shape == (8, HIST_ROWS)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)  # every weight in the grid
    np.testing.assert_array_equal(shares[3], density(q[3], edges))
    np.testing.assert_array_equal(view.images[1].image, shares)
    # the grid spans the weights of every layer shown: the plots share their value axis
    all_q = log.array("weights")
    assert edges[0] == all_q.min() and edges[-1] == all_q.max()
    # one layer only; magnitudes on the log axis: log₁₀ of the values
    panel.hist_box.setCurrentIndex(panel.hist_box.findData(0))
    panel.dist_kind.setCurrentIndex(panel.dist_kind.findData("changes"))
    assert len(view.images) == 1 and view.log and set(view.grids) == {0}
    edges, _ = view.grids[0]
    changes = log.array("changes")[:, 0, :]
    assert edges[-1] == pytest.approx(np.log10(changes.max()))
    out = panel.hist_export.export("csv", str(tmp_path / "h.csv"))
    rows = list(csv.reader(open(out, encoding="utf-8")))
    assert rows[0] == ["layer", "epoch", "cell_low", "cell_high", "share"] and len(rows) == 1 + 8 * HIST_ROWS
    assert sum(float(r[4]) for r in rows[1:] if r[1] == "8") == pytest.approx(1.0)


def test_density_puts_five_percent_between_neighbouring_quantiles():
    from bpstudio.engine.distributions import QUANTILES, density

    q = np.linspace(0.0, 2.0, len(QUANTILES))  # evenly spread values on [0, 2]
    shares = density(q, np.array([0.0, 0.5, 1.0, 2.0]))
    np.testing.assert_allclose(shares, [0.25, 0.25, 0.5])
    same = np.full(len(QUANTILES), 0.3)  # every value 0.3: all of it in the cell holding 0.3
    np.testing.assert_allclose(density(same, np.array([0.0, 0.2, 0.4, 1.0])), [0.0, 1.0, 0.0])
    assert not density(np.full(len(QUANTILES), np.nan), np.array([0.0, 1.0])).any()
    # many equal values on the grid's first edge (zero gradients drawn at the bottom) stay in the grid
    zeros = np.concatenate([np.zeros(7), np.linspace(1.0, 2.0, len(QUANTILES) - 7)])
    np.testing.assert_allclose(density(zeros, np.array([0.0, 1.0, 2.0])).sum(), 1.0)
