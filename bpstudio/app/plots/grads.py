"""Per-layer gradient norms over the updates (vanishing gradients with sigmoid show up as the early
layers' curves falling far below the last layer's) and a histogram of the weights of each layer; on a
second view the weights as Hinton diagrams (:mod:`.hinton`)."""

from __future__ import annotations

import itertools

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QStackedWidget, QVBoxLayout, QWidget

from ...engine.history import bucket_centres, trailing_mean
from ..changes import Change
from ..flow_layout import FlowBar, FlowLayout, Together
from .axes import LegendRow
from .common import (
    COLOURS,
    ExportButton,
    Throttle,
    auto_window,
    display_positions,
    for_log_axis,
    make_plot_widget,
    on_resize,
    plottable,
    refit,
    release_axes,
    release_later,
    reset_when_empty,
    set_title,
    side_by_side,
    style_plot,
)
from .distributions import CHOICES as DIST_CHOICES
from .distributions import DistributionView, HistogramView, weight_layer_name
from .hinton import HintonWidget

HIST_BINS = 40


def norms_array(rows: list[list[float]], n_layers: int) -> np.ndarray:
    """History rows of per-layer norms as an (n, n_layers) array (``np.fromiter`` over the flattened
    rows: a few times faster than ``np.asarray`` on a list of lists, which shows with 20,000 new rows)."""
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=float)
    if flat.size != len(rows) * n_layers:  # rows of other lengths: NumPy says what is wrong with them
        return np.asarray(rows, dtype=float).reshape(-1, n_layers)
    return flat.reshape(-1, n_layers)


#: the gradient-norm plot's title, and its short one beside the weights plot
NORM_TITLE = "Gradient norm ‖∂E/∂Wˡ‖ per update"
NORM_SHORT_TITLE = "‖∂E/∂Wˡ‖ per update"


class GradientPlotPanel(QWidget):
    """The "Gradients & weights" dock."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("gradientPlotPanel")
        self.log_box = QCheckBox("Log scale")
        self.log_box.setChecked(True)
        self.log_box.setToolTip(
            "Logarithmic axis for the gradient norms (vanishing gradients span decades). A norm of"
            " exactly 0 (a layer whose inputs were all 0, such as XOR's (0, 0)) cannot be drawn on it"
            " and leaves a gap"
        )
        self.smooth_box = QCheckBox("Smooth")
        self.smooth_box.setChecked(True)
        self.smooth_box.setToolTip("Mean over the last 1 % of the updates")
        self.hist_box = QComboBox()
        self.hist_box.setToolTip("Which weights the histogram counts")
        self.export_button = ExportButton(self, lambda: self.plots.scene(), self.csv_data, "gradients")
        self.view_box = QComboBox()
        self.view_box.setObjectName("gradientView")
        self.view_box.addItem("Norms and histogram")
        self.view_box.addItem("Hinton diagrams")
        self.view_box.addItem("Distributions over epochs")
        self.view_box.addItem("Histograms over epochs")
        self.view_box.setToolTip(
            "Gradient norms over the updates and a histogram of the weights; every weight as a "
            "Hinton diagram (area ∝ |w|, orange positive, blue negative; rows: to, columns: from); or "
            "the spread of each layer's |∂E/∂w|, |Δw| or weights over the epochs, as bands or as "
            "histograms (a heat map per layer)"
        )
        self.dist_kind = QComboBox()
        self.dist_kind.setObjectName("distributionKind")
        for kind, _title, label, _log in DIST_CHOICES:
            self.dist_kind.addItem(label, kind)
        self.dist_kind.setToolTip(
            "What is spread per layer: |∂E/∂w| or |Δw| of each epoch's last update, or the weights "
            "(bands: 5–95 % and 25–75 %; line: median; dotted: minimum and maximum)"
        )
        self.dist_kind.hide()
        bar = FlowLayout()  # wraps in a narrow dock
        bar.addWidget(self.view_box)
        bar.addWidget(self.dist_kind)
        bar.addWidget(self.log_box)
        bar.addWidget(self.smooth_box)
        bar.addStretch(1)
        self.hist_label = QLabel("Histogram")
        bar.addWidget(Together(self.hist_label, self.hist_box))
        bar.addWidget(self.export_button)
        self.hinton_export = ExportButton(
            self,
            None,
            lambda: self.hinton.csv_data(),
            "hinton-diagrams",
            painter=lambda: (self.hinton.size(), self.hinton.paint),
        )
        self.hinton_export.setToolTip("Save the Hinton diagrams as an image (PNG, SVG) or the weights as CSV")
        self.hinton_export.hide()
        bar.addWidget(self.hinton_export)
        self.distributions = DistributionView(session, self)
        self.dist_export = ExportButton(
            self, lambda: self.distributions.widget.scene(), self.distributions.csv_data, "distributions"
        )
        self.dist_export.hide()
        bar.addWidget(self.dist_export)
        self.histograms = HistogramView(session, self)
        self.hist_export = ExportButton(
            self, lambda: self.histograms.widget.scene(), self.histograms.csv_data, "histograms"
        )
        self.hist_export.hide()
        bar.addWidget(self.hist_export)

        self.plots = make_plot_widget()
        # the weight layers' colours (of the norm curves and the histogram), in a row above the plots
        self.legend = LegendRow()
        self.plots.addItem(self.legend, row=0, col=0)
        self.norm_plot = self.plots.addPlot(row=1, col=0)
        self._side_by_side = False
        self._whole_titles = True
        style_plot(self.norm_plot, NORM_TITLE, "update", "norm")
        self.hist_plot = self.plots.addPlot(row=2, col=0)
        style_plot(self.hist_plot, "Weights", "w", "count")
        on_resize(self.plots, self._arrange, self.norm_plot, self.hist_plot)
        self.hist_plot.setDownsampling(auto=False)
        self.hist_curves: list[pg.PlotDataItem] = []
        self.norm_curves: list[pg.PlotDataItem] = []

        # the curves and histogram, or the Hinton diagrams of the weights, in the same place
        self.hinton = HintonWidget(session)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plots)
        self.stack.addWidget(self.hinton)
        self.stack.addWidget(self.distributions.widget)
        self.stack.addWidget(self.histograms.widget)
        self.view_box.currentIndexChanged.connect(self._show_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(FlowBar(bar))
        layout.addWidget(self.stack, 1)

        self._norms = np.zeros((0, 0))
        self._ends = np.zeros(0, dtype=np.int64)  # the last update each entry stands for
        self._history_id = self._thinned = None
        self.throttle = Throttle(
            [self.refresh_norms, self.refresh_histogram, self.hinton.update, self._refresh_distributions],
            lambda: session.running,
            self,
        )
        session.changed.connect(self._changed)
        session.runningChanged.connect(self._running_changed)
        self.log_box.toggled.connect(self._set_log)
        self.smooth_box.toggled.connect(lambda _v: self.refresh())
        self.hist_box.currentIndexChanged.connect(lambda _i: self._distribution_choice())
        self.dist_kind.currentIndexChanged.connect(lambda _i: self._distribution_choice())
        self.norm_plot.setLogMode(y=True)
        self._rebuild()

    def _show_view(self, index: int) -> None:
        """The curves and histogram (0), the Hinton diagrams (1), the distributions over the epochs as
        bands (2) or as histograms (3); each view's controls only with it (the layer choice and log
        axis serve 0, 2 and 3)."""
        self.stack.setCurrentIndex(index)
        for w in (self.smooth_box, self.export_button):
            w.setVisible(index == 0)
        for w in (self.log_box, self.hist_label, self.hist_box):
            w.setVisible(index in (0, 2, 3))
        self.hinton_export.setVisible(index == 1)
        self.dist_kind.setVisible(index in (2, 3))
        self.dist_export.setVisible(index == 2)
        self.hist_export.setVisible(index == 3)
        self.hist_label.setText("Layer" if index in (2, 3) else "Histogram")
        self._distribution_choice()

    def _distribution_choice(self) -> None:
        chosen = self.hist_box.currentData()
        choice = (
            self.dist_kind.currentData() or "gradients",
            self.log_box.isChecked(),
            None if chosen is None else [chosen],
        )
        index = self.stack.currentIndex()
        if index == 2:
            self.distributions.set_choice(*choice)
        elif index == 3:
            self.histograms.set_choice(*choice)
        self.log_box.setEnabled(index not in (2, 3) or self.dist_kind.currentData() != "weights")
        self.refresh()

    def _refresh_distributions(self) -> None:
        index = self.stack.currentIndex()
        if index == 2:
            self.distributions.refresh()
        elif index == 3:
            self.histograms.refresh()

    def _changed(self, change: Change) -> None:
        if change & (Change.SHAPE | Change.DATASET):
            self._rebuild()
        elif change & (Change.HISTORY | Change.VALUES):
            self.throttle()

    def _rebuild(self) -> None:
        net = self.session.network
        L = net.n_layers
        for c in self.norm_curves:
            self.norm_plot.removeItem(c)
        for c in self.hist_curves:
            self.hist_plot.removeItem(c)
        self.norm_curves, self.hist_curves = [], []
        for l in range(L):
            pen = pg.mkPen(COLOURS[l % len(COLOURS)], width=2)
            self.norm_curves.append(self.norm_plot.plot(pen=pen, name=f"W{l + 1}: {weight_layer_name(l, L)}"))
            brush = pg.mkBrush(COLOURS[l % len(COLOURS)] + "66")
            self.hist_curves.append(self.hist_plot.plot(stepMode="center", fillLevel=0, brush=brush, pen=pen))
        self.legend.set_entries(
            [(COLOURS[l % len(COLOURS)], f"W{l + 1}: {weight_layer_name(l, L)}") for l in range(L)]
        )
        self.hist_box.blockSignals(True)
        self.hist_box.clear()
        self.hist_box.addItem("All layers", None)
        for l in range(L):
            self.hist_box.addItem(weight_layer_name(l, L), l)
        self.hist_box.blockSignals(False)
        self._norms = np.zeros((0, L))
        self._history_id = None
        release_axes(self.norm_plot, self.hist_plot)
        self.refresh()

    def _running_changed(self, running: bool) -> None:
        """After a run the axes may give back the label room they kept while the curves changed."""
        if not running:
            release_later(self, self.norm_plot, self.hist_plot)

    def _sync(self) -> None:
        tr = self.session.trainer
        L = self.session.network.n_layers
        if tr is None:
            self._norms = np.zeros((0, L))
            return
        h = tr.history
        n = len(h.grad_norms)
        if (
            id(h) != self._history_id
            or n < self._norms.shape[0]
            or self._norms.shape[1] != L
            or (h.thinned, h.generation) != self._thinned
        ):
            self._norms = np.zeros((0, L))
            self._ends = np.zeros(0, dtype=np.int64)
            self._history_id, self._thinned = id(h), (h.thinned, h.generation)
            release_axes(self.norm_plot)  # other data: the axes need not keep their label room
        have = self._norms.shape[0]
        if n > have:
            self._ends = np.concatenate([self._ends, h.step_indices(have, n)])
            new = norms_array(h.grad_norms[have:n], L)
            self._norms = np.vstack([self._norms, new])

    def refresh(self) -> None:
        self.refresh_norms()
        self.refresh_histogram()
        self.hinton.update()
        self._refresh_distributions()

    def refresh_norms(self) -> None:
        self._sync()
        norms = self._norms
        # the last update of each entry (entries of a reopened, thinned history stand for several updates)
        ends = self._ends[: norms.shape[0]]
        window = auto_window(int(ends[-1]) if ends.size else 0) if self.smooth_box.isChecked() else 1
        x = ends.astype(float) if window > 1 else bucket_centres(ends)
        log = self.log_box.isChecked()
        # smoothed curves have no detail finer than their window: a few thousand points suffice
        at = display_positions(norms.shape[0]) if window > 1 else np.arange(norms.shape[0])
        for l, curve in enumerate(self.norm_curves):
            y = trailing_mean(norms[:, l], ends, window, at) if norms.shape[0] else np.zeros(0)
            curve.setData(x[at], for_log_axis(y) if log else plottable(y), connect="finite")
        reset_when_empty(self.norm_plot)

    def refresh_histogram(self) -> None:
        net = self.session.network
        chosen = self.hist_box.currentData()
        layers = range(net.n_layers) if chosen is None else [chosen]
        present = [self._present_weights(l) for l in range(net.n_layers)]
        allw = np.concatenate([present[l] for l in layers]) if layers else np.zeros(0)
        lo, hi = (float(allw.min()), float(allw.max())) if allw.size else (-1.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, HIST_BINS + 1)
        for l, curve in enumerate(self.hist_curves):
            if l in layers:
                counts, _ = np.histogram(present[l], bins=edges)
                curve.setData(edges, counts)
                curve.setVisible(True)
            else:
                curve.setVisible(False)

    def _present_weights(self, l: int) -> np.ndarray:
        net = self.session.network
        w = net.weights[l]
        m = net.masks[l]
        return (w if m is None else w[m]).ravel()

    def fit_height(self, pixels: int) -> None:
        """The dock's scroll area shows ``pixels`` of the panel: arrange the plots for what shows."""
        self._arrange()

    def _arrange(self) -> None:
        """Side by side in a wide dock (when both fit its width, if need be the norm plot with its
        short title), stacked in a tall one."""
        wide, whole = side_by_side(
            self,
            self.plots,
            (self.norm_plot, self.hist_plot),
            (NORM_TITLE, "Weights"),
            (NORM_SHORT_TITLE, "Weights"),
            (self._side_by_side, self._whole_titles),
        )
        if whole != self._whole_titles:
            self._whole_titles = whole
            set_title(self.norm_plot, NORM_TITLE if whole else NORM_SHORT_TITLE)
        if wide != self._side_by_side:
            self._side_by_side = wide
            self.plots.removeItem(self.legend)
            self.plots.removeItem(self.hist_plot)
            self.plots.addItem(self.legend, row=0, col=0, colspan=2 if wide else 1)
            self.plots.addItem(self.hist_plot, row=1 if wide else 2, col=1 if wide else 0)
            refit(self.plots)

    def _set_log(self, on: bool) -> None:
        self.norm_plot.setLogMode(y=on)
        release_axes(self.norm_plot)
        self._distribution_choice()

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        L = self.session.network.n_layers
        header = ["update"] + [f"grad_norm_W{l + 1}" for l in range(L)]
        cols = [self._ends[: self._norms.shape[0]]] + [self._norms[:, l] for l in range(L)]
        for l in range(L):
            header.append(f"weights_W{l + 1}")
            cols.append(self._present_weights(l))
        return header, cols
