"""The plot docks stay readable when small: legends never cover the plotted data, and no two tick labels
of an axis overlap (a short log axis shows decades only)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QApplication

from bpstudio.app.changes import Change
from bpstudio.app.plots.axes import ReadableAxis, log_label
from bpstudio.app.plots.grads import GradientPlotPanel
from bpstudio.app.plots.landscape import LandscapePanel
from bpstudio.app.plots.loss import LossPlotPanel
from bpstudio.app.session import Session
from bpstudio.engine import Network
from bpstudio.workspace import load_example


def label_rects(axis) -> list[tuple[QRectF, str]]:
    """The tick labels the axis draws: (rectangle in the axis's coordinates, text)."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _flags, text in specs[2]] if specs else []


SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def label_value(text: str) -> float:
    """The number a tick label shows: 0.02, 500, 10⁻⁵ or 2·10⁶."""
    if "10" in text and text.translate(SUPERSCRIPT) != text:
        mantissa, _, power = text.rpartition("10")
        m = float(mantissa.rstrip("·")) if mantissa else 1.0
        return m * 10.0 ** int(power.translate(SUPERSCRIPT))
    return float(text.replace("−", "-"))


def assert_at_their_values(axis, labels: list[tuple[QRectF, str]]) -> None:
    """Each label is centred on the place of the value it shows."""
    bounds = axis.mapRectFromParent(axis.geometry())
    r0, r1 = axis.range
    for rect, text in labels:
        v = label_value(text)
        v = math.log10(v) if axis.logMode else v
        frac = (v - r0) / (r1 - r0)
        if axis.orientation in ("left", "right"):
            assert rect.center().y() == pytest.approx(bounds.height() * (1 - frac), abs=1.0), text
        else:
            assert rect.center().x() == pytest.approx(bounds.width() * frac, abs=1.0), text


def assert_apart(axis) -> list[str]:
    """No two labels overlap, neither as pyqtgraph places them nor at the font's full line height; each
    shows the value at its place."""
    labels = label_rects(axis)
    assert_at_their_values(axis, labels)
    fm = QFontMetricsF(axis.style["tickFont"])
    full = []
    for rect, _text in labels:
        c = rect.center()
        if axis.orientation in ("left", "right"):
            full.append(QRectF(rect.x(), c.y() - fm.height() / 2, rect.width(), fm.height()))
        else:
            w = fm.horizontalAdvance(_text)
            full.append(QRectF(c.x() - w / 2, rect.y(), w, rect.height()))
    for rects in ([r for r, _ in labels], full):
        for i in range(len(rects)):
            for j in range(i + 1, len(rects)):
                assert not rects[i].intersects(rects[j]), (labels[i][1], labels[j][1], rects[i], rects[j])
    return [t for _, t in labels]


def shown(qtbot, widget, w: int, h: int):
    qtbot.addWidget(widget)
    widget.resize(w, h)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.plots.width() > 0.9 * w - 20, timeout=2000)
    return widget


def settle(qtbot, panel) -> None:
    """Let the graphics layout apply its pending geometry changes (posted layout requests)."""
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def visible_plots(panel: LossPlotPanel):
    return [p for p in (panel.epoch_plot, panel.acc_plot, panel.step_plot) if p.isVisible() and p.scene()]


def assert_inside(panel: LossPlotPanel) -> None:
    """Every plot lies within the panel's plotting area (none cut off at its right or bottom edge)."""
    area = QRectF(0, 0, panel.plots.width(), panel.plots.height()).adjusted(-1, -1, 1, 1)
    for plot in visible_plots(panel):
        box = plot.sceneBoundingRect()
        assert area.contains(box), (plot.titleLabel.text, box, area)


def assert_legend_clear(panel: LossPlotPanel) -> None:
    legend = panel.legend
    assert legend.isVisible() and legend.scene() is panel.plots.scene()
    box = legend.sceneBoundingRect()
    text = legend.text_rect()
    assert box.width() > 0 and text.height() > 0
    for plot in visible_plots(panel):
        data = plot.vb.sceneBoundingRect()
        assert not box.intersects(data), (plot.titleLabel.text, box, data)
        assert not text.intersects(data), (plot.titleLabel.text, text, data)
    area = QRectF(panel.plots.rect())  # the legend is on screen, whole
    assert area.contains(text.adjusted(1, 1, -1, -1)), (text, area)


def digits_session() -> Session:
    session = Session(load_example("digits"))
    session.step_epoch()
    session.step_epoch()
    return session


def regression_session() -> Session:
    session = Session()
    net = Network.create([2, 3, 1], ["tanh", "identity"], seed=0)

    def change(n):
        n.sizes, n.activations, n.weights, n.biases, n.masks = (
            net.sizes,
            net.activations,
            net.weights,
            net.biases,
            net.masks,
        )

    session.edit_network("regression", change, structural=True)
    x = np.linspace(-1, 1, 12)
    spec = {
        "inline": {"inputs": np.column_stack([x, x**2]).tolist(), "targets": (x**3)[:, None].tolist()},
        "split": {"val": 0.25, "test": 0.0, "seed": 0},
    }
    assert session.set_dataset(spec)
    session.step_epoch()
    return session


def test_the_loss_legend_is_outside_the_plots_in_the_default_window(qtbot):
    from bpstudio.app.main_window import MainWindow

    session = digits_session()
    window = MainWindow(session)  # at its default size, with the default docks
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        panel = window.training.loss_panel
        qtbot.waitUntil(
            lambda: panel.plots.height() > 100 and panel.legend.geometry().width() > 0, timeout=3000
        )
        settle(qtbot, panel)
        assert [e[1] for e in panel.legend.entries] == ["training", "validation", "test"]
        assert_legend_clear(panel)
        for plot in visible_plots(panel):
            for name in ("left", "bottom"):
                assert_apart(plot.getAxis(name))
    finally:
        window.training.shutdown()
        session.undo_stack.setClean()  # closing asks nothing
        session._trained_since_save = False


@pytest.mark.parametrize(
    "make", [digits_session, regression_session, Session], ids=["3 splits", "regression", "xor"]
)
@pytest.mark.parametrize(
    "size", [(450, 260), (900, 650), (430, 800), (260, 420), (428, 162), (320, 155)], ids=str
)
def test_legend_and_tick_labels_at_any_dock_size(qtbot, make, size):
    """(428, 162): the Loss dock beside an exercise on a 1024×768 projector; (320, 155): on a laptop
    at 150 %."""
    panel = shown(qtbot, LossPlotPanel(make()), *size)
    settle(qtbot, panel)
    assert_inside(panel)
    assert_legend_clear(panel)
    for plot in visible_plots(panel):
        for name in ("left", "bottom"):
            assert_apart(plot.getAxis(name))
    panel.log_box.setChecked(True)
    settle(qtbot, panel)
    for plot in visible_plots(panel):
        assert_apart(plot.getAxis("left"))


def test_a_title_too_wide_for_a_very_narrow_low_dock_ends_in_an_ellipsis(qtbot):
    """Three plots in one row of a low dock too narrow for their short titles (the Loss dock under an
    exercise on a laptop at 150 %): a title that does not fit over its plot is cut short with "…"
    (the whole one in its tooltip) instead of pushing the last plot past the dock's edge; a wider dock
    gets the whole titles back."""
    panel = shown(qtbot, LossPlotPanel(Session()), 230, 110)
    settle(qtbot, panel)
    plots = visible_plots(panel)
    assert len(plots) == 3 and panel._arrangement[0] == 3  # one row
    titles = {p: p._bp_title[0] for p in plots}
    cut = [p for p, t in titles.items() if t.endswith("…")]
    assert cut, titles
    for p in cut:
        assert p.titleLabel.toolTip() == panel._title(p, True) and panel._title(p, True).startswith(
            titles[p][:-1]
        )
    rects = [p.titleLabel.item.sceneBoundingRect() for p in plots]
    for i, r in enumerate(rects):
        assert r.left() >= -1 and r.right() <= panel.plots.width() + 1, (titles, r)
        assert not any(r.intersects(o) for o in rects[i + 1 :]), titles
    panel.resize(900, 110)
    qtbot.waitUntil(lambda: all(not p._bp_title[0].endswith("…") for p in plots), timeout=3000)
    assert all(p.titleLabel.toolTip() == "" for p in plots)


def test_regression_has_no_accuracy_plot_and_its_legend_takes_a_row(qtbot):
    panel = shown(qtbot, LossPlotPanel(regression_session()), 450, 260)
    settle(qtbot, panel)
    assert not panel.acc_plot.isVisible()
    assert [e[1] for e in panel.legend.entries] == ["training", "validation"]
    assert not panel.legend.stacked  # no free grid cell: a row of its own
    assert_legend_clear(panel)


def norm_session(decades: float) -> Session:
    """The XOR example with a history of gradient norms falling from 1 over ``decades`` decades."""
    session = Session()
    h = session.trainer.history
    n = 400
    falling = np.logspace(0, -decades, n)
    h.grad_norms.extend([[float(v), float(v) * 0.3] for v in falling])
    h.step_loss.extend([0.1] * n)
    return session


def is_decade(text: str) -> bool:
    """1, 0.01, 10⁻⁵: a power of ten (2·10⁻⁶ or 0.5 are not)."""
    if "·" in text:
        return False
    if text.startswith("10"):
        return text == "10" or all(ch in "⁻⁰¹²³⁴⁵⁶⁷⁸⁹" for ch in text[2:])
    value = float(text)
    return value > 0 and math.isclose(10 ** round(math.log10(value)), value)


def test_gradient_norm_log_axis_shows_decades_only_when_small(qtbot):
    session = norm_session(5.0)
    # a low, wide dock (its controls on one line): the plots side by side
    panel = shown(qtbot, GradientPlotPanel(session), 640, 150)
    session.changed.emit(Change.HISTORY)
    settle(qtbot, panel)
    axis = panel.norm_plot.getAxis("left")
    assert isinstance(axis, ReadableAxis) and axis.logMode
    assert panel.norm_plot.vb.height() < 90
    texts = assert_apart(axis)
    assert len(texts) >= 2 and all(is_decade(t) for t in texts), texts

    panel.resize(640, 900)  # tall: room for 2·10ᵏ and 5·10ᵏ too, still apart
    settle(qtbot, panel)
    qtbot.waitUntil(lambda: panel.norm_plot.vb.height() > 250, timeout=2000)
    texts = assert_apart(axis)
    assert any(not is_decade(t) for t in texts), texts


@pytest.mark.parametrize("height", [110, 140, 200, 320, 600])
@pytest.mark.parametrize("decades", [0.3, 1.5, 4.0, 12.0])
def test_gradient_norm_labels_never_overlap(qtbot, height, decades):
    session = norm_session(decades)
    panel = shown(qtbot, GradientPlotPanel(session), 380, height)
    session.changed.emit(Change.HISTORY)
    settle(qtbot, panel)
    texts = assert_apart(panel.norm_plot.getAxis("left"))
    assert texts  # a value is always readable
    assert_apart(panel.norm_plot.getAxis("bottom"))


@pytest.mark.parametrize("height", [160, 250, 600])
@pytest.mark.parametrize("hi, lo", [(0.45, 0.3), (0.47, 0.415)], ids=["0.3-0.45", "0.415-0.47"])
def test_a_log_axis_inside_one_decade_gets_round_values(qtbot, height, hi, lo):
    session = Session()
    h = session.trainer.history
    values = np.linspace(hi, lo, 300)  # no power of ten, no 2·10ᵏ or 5·10ᵏ in the range (nor 0.4 in the 2nd)
    h.grad_norms.extend([[float(v), float(v)] for v in values])
    h.step_loss.extend([0.1] * len(values))
    panel = shown(qtbot, GradientPlotPanel(session), 640, height)  # the controls on one line
    session.changed.emit(Change.HISTORY)
    settle(qtbot, panel)
    texts = assert_apart(panel.norm_plot.getAxis("left"))
    assert len(texts) >= 2 and not any(is_decade(t) for t in texts), texts


def test_log_labels():
    assert [log_label(v) for v in (1.0, 0.02, 500.0, 1e-5, 2e6, 0.31)] == [
        "1",
        "0.02",
        "500",
        "10⁻⁵",
        "2·10⁶",
        "0.31",
    ]


@pytest.mark.parametrize("size", [(348, 258), (320, 230), (640, 200), (900, 320), (400, 700)], ids=str)
def test_two_plots_go_side_by_side_only_where_both_fit(qtbot, size):
    """The gradient norms beside the weights, the loss map beside its slice: in a wide dock side by
    side (with short titles) when both fit its width, else one under the other; never cut off at the
    dock's right edge (348×258: the right-hand column of a 1024×768 projector)."""
    session = Session()
    for _ in range(30):
        session.step_epoch()
    grads = shown(qtbot, GradientPlotPanel(session), *size)
    land = shown(qtbot, LandscapePanel(session), *size)
    for panel, plots in (
        (grads, (grads.norm_plot, grads.hist_plot)),
        (land, (land.map_plot, land.slice_plot)),
    ):
        settle(qtbot, panel)  # (three turns: axes grown by their tick labels are re-checked in one)
        area = QRectF(0, 0, panel.plots.width(), panel.plots.height()).adjusted(-1, -1, 1, 1)
        for plot in plots:
            assert area.contains(plot.sceneBoundingRect()), (size, plot.titleLabel.text)
        beside = plots[1].sceneBoundingRect().left() > plots[0].sceneBoundingRect().left()
        assert beside == panel._side_by_side
        if size[0] >= 640:  # plenty of width in a low dock
            assert beside, size
        if size == (400, 700):  # tall
            assert not beside
        long_title = plots[0]._bp_title[0] in ("Gradient norm ‖∂E/∂Wˡ‖ per update", "Loss over the plane")
        if size == (900, 320) or not beside:  # room for the whole titles
            assert long_title, (size, plots[0]._bp_title)
        if size == (348, 258):  # side by side with the short ones
            assert beside and not long_title


def test_in_a_dock_that_scrolls_the_plots_are_arranged_for_what_shows(qtbot):
    """The right-hand column of a 1024×768 projector: the landscape panel (four lines of controls)
    is taller than its dock, whose scroll area shows the top of it. The plots are arranged for the part
    that shows (low and wide: side by side), not for the panel's full height (which would stack them
    and make the panel taller still)."""
    from bpstudio.app.screen_fit import PanelScroll

    session = Session()
    panel = LandscapePanel(session)
    area = PanelScroll(panel)
    qtbot.addWidget(area)
    area.resize(348, 258)
    area.show()
    qtbot.waitExposed(area)
    settle(qtbot, panel)
    qtbot.waitUntil(lambda: panel._side_by_side)
    shown = area.viewport().height() - panel.plots.mapTo(panel, panel.plots.rect().topLeft()).y()
    assert panel.plots.width() > 1.3 * shown
    area.resize(348, 900)  # a tall dock: one under the other
    qtbot.waitUntil(lambda: not panel._side_by_side)
    area.takeWidget().deleteLater()
