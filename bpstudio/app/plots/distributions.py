"""Distributions over the epochs (issue 15.5): per weight layer, the spread of the weights, of |∂E/∂w|
or of |Δw| of each recorded epoch's last update, as bands (5–95 % light, 25–75 % darker, the median
as a line, minimum and maximum as thin lines), from the history's records
(:mod:`bpstudio.engine.distributions`). On the log axis, layers whose gradients vanish sit decades
below the others; exploding gradients climb.

Shown in the Gradients dock as its third view; exports as PNG/SVG and the quantiles as CSV.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from ...engine.distributions import KINDS, Q05, Q25, Q75, Q95, Q_MAX, Q_MEDIAN, Q_MIN, QUANTILES, density
from ...teaching.labels import layer_title
from .axes import LegendRow
from .common import (
    COLOURS,
    for_log_axis,
    make_plot_widget,
    plottable,
    release_axes,
    reset_when_empty,
    set_title,
    style_plot,
)

#: what the view can show: (kind, title, y label, on a log axis by default)
CHOICES = (
    ("gradients", "|∂E/∂w| of each epoch's last update", "|∂E/∂w|", True),
    ("changes", "|Δw| of each epoch's last update", "|Δw|", True),
    ("weights", "Weights after each epoch", "w", False),
)
_BANDS = ((Q05, Q95, "33"), (Q25, Q75, "66"))  # (low, high quantile index, alpha) of the filled bands
#: the quantiles drawn as lines: minimum and maximum dotted, the median solid
_LINES = (Q_MIN, Q_MEDIAN, Q_MAX) + tuple(i for band in _BANDS for i in band[:2])


def weight_layer_name(layer: int, n_layers: int) -> str:
    return f"{layer_title(layer, n_layers)} → {layer_title(layer + 1, n_layers)}"


class DistributionView:
    """The plot of one kind's distributions per layer over the recorded epochs."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        self.session = session
        self.widget = make_plot_widget()
        self.widget.setParent(parent)
        self.widget.setObjectName("distributionPlot")
        self.legend = LegendRow()
        self.widget.addItem(self.legend, row=0, col=0)
        self.plot = self.widget.addPlot(row=1, col=0)
        style_plot(self.plot, CHOICES[0][1], "epoch", CHOICES[0][2])
        self.plot.setDownsampling(auto=False)
        self.plot.setClipToView(False)
        self.kind = "gradients"
        self.log = True
        self.layers: list[int] | None = None  # None: every layer
        self.items: list[pg.GraphicsObject] = []
        self.lines: dict[tuple[int, int], pg.PlotDataItem] = {}  # (layer, quantile index) → curve
        self._n_layers = -1

    def set_choice(self, kind: str, log: bool, layers: list[int] | None) -> None:
        self.kind, self.log, self.layers = kind, log and kind != "weights", layers
        title, label = next((t, y) for k, t, y, _ in CHOICES if k == kind)
        set_title(self.plot, title)
        self.plot.setLabel("left", label, color="#222")
        self.plot.setLogMode(y=self.log)
        release_axes(self.plot)
        self.refresh()

    def _rebuild(self, n_layers: int) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items, self.lines = [], {}
        for l in range(n_layers):
            colour = COLOURS[l % len(COLOURS)]
            for q in sorted(set(_LINES)):
                if q in (Q_MIN, Q_MAX):
                    pen = pg.mkPen(colour, width=1, style=pg.QtCore.Qt.PenStyle.DotLine)
                elif q == Q_MEDIAN:
                    pen = pg.mkPen(colour, width=2)
                else:
                    pen = pg.mkPen(None)
                curve = pg.PlotDataItem(pen=pen)
                self.plot.addItem(curve)
                self.lines[(l, q)] = curve
                self.items.append(curve)
            for lo, hi, alpha in _BANDS:
                band = pg.FillBetweenItem(
                    self.lines[(l, lo)], self.lines[(l, hi)], brush=pg.mkBrush(colour + alpha)
                )
                self.plot.addItem(band)
                self.items.append(band)
        self._n_layers = n_layers
        self.legend.set_entries(
            [
                (COLOURS[l % len(COLOURS)], f"W{l + 1}: {weight_layer_name(l, n_layers)}")
                for l in range(n_layers)
            ]
        )
        release_axes(self.plot)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(recorded epochs, quantiles (n, L, 7)) of the chosen kind; empty without a trainer."""
        tr = self.session.trainer
        if tr is None or not tr.history.dists.records:
            return np.zeros(0), np.zeros((0, self.session.network.n_layers, len(QUANTILES)))
        log = tr.history.dists
        values = log.array(self.kind)
        if values.shape[1] != self.session.network.n_layers:  # a history from another shape
            return np.zeros(0), np.zeros((0, self.session.network.n_layers, len(QUANTILES)))
        return np.asarray(log.epochs, dtype=np.float64), values

    def refresh(self) -> None:
        epochs, values = self.data()
        L = self.session.network.n_layers
        if L != self._n_layers:
            self._rebuild(L)
        shown = range(L) if self.layers is None else self.layers
        floor = self._floor(values[:, list(shown)]) if self.log and epochs.size else None
        for (l, q), curve in self.lines.items():
            if l in shown and epochs.size:
                y = values[:, l, q]
                if floor is not None:  # zeros (e.g. no input, no gradient) drawn at the bottom of the axis
                    y = for_log_axis(np.where(np.isfinite(y), np.maximum(y, floor), y))
                else:
                    y = plottable(y)
                curve.setData(epochs, y, connect="finite")
                curve.setVisible(True)
            else:
                curve.setData([], [])
                curve.setVisible(False)
        for item in self.items:
            if isinstance(item, pg.FillBetweenItem):
                item.setVisible(bool(epochs.size))
        reset_when_empty(self.plot)

    @staticmethod
    def _floor(values: np.ndarray) -> float | None:
        """Where a magnitude of 0 is drawn on the log axis: half the smallest positive value shown
        (a band cannot reach 0 there); None if nothing is positive."""
        with np.errstate(invalid="ignore"):
            positive = values[np.isfinite(values) & (values > 0)]
        return float(positive.min()) / 2 if positive.size else None

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        """One column of recorded epochs, then per weight layer and kind the 21 quantiles."""
        tr = self.session.trainer
        header = ["epoch"]
        columns: list[np.ndarray] = []
        if tr is None or not tr.history.dists.records:
            return header, [np.zeros(0)]
        log = tr.history.dists
        columns.append(np.asarray(log.epochs, dtype=np.int64))
        for kind in KINDS:
            values = log.array(kind)
            name = {"weights": "w", "gradients": "abs_grad", "changes": "abs_dw"}[kind]
            for l in range(values.shape[1]):
                for q, frac in enumerate(QUANTILES):
                    header.append(f"{name}_W{l + 1}_q{round(frac * 100):02d}")
                    columns.append(values[:, l, q])
        return header, columns


#: rows of the histograms' value grid
HIST_ROWS = 80


def log_floor(q: np.ndarray) -> float:
    """Where a magnitude of 0 goes on a log axis: half the smallest positive value (1e-12 if none)."""
    with np.errstate(invalid="ignore"):
        positive = q[np.isfinite(q) & (q > 0)]
    return float(positive.min()) / 2 if positive.size else 1e-12


def histogram_grid(
    epochs: np.ndarray,
    q: np.ndarray,
    log: bool,
    lo: float | None = None,
    hi: float | None = None,
    floor: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One layer's histograms over the epochs: (edges of the value grid, shares (records × rows)).
    ``q``: its quantiles per record (records × 21). On a ``log`` axis the grid is in log₁₀ of the
    values, and a magnitude of 0 is put at ``floor`` (default :func:`log_floor` of ``q``), the grid's
    lowest value; ``lo``/``hi``: the grid's range (default: the quantiles' own). Each row of shares
    is :func:`density` of that record."""
    q = np.asarray(q, dtype=np.float64)
    if log:
        floor = log_floor(q) if floor is None else floor
        q = np.log10(np.where(np.isfinite(q), np.maximum(q, floor), np.nan))
    finite = q[np.isfinite(q)]
    if lo is None or hi is None:
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, HIST_ROWS + 1)
    shares = np.zeros((len(epochs), HIST_ROWS))
    for i in range(len(epochs)):
        shares[i] = density(q[i], edges)
    return edges, shares


class HistogramView:
    """Per weight layer, the histograms of one kind over the recorded epochs as a heat map (x: epoch,
    y: the value, colour: the share of the layer's weights in each cell), one plot per layer side by
    side with the same value axis, so that layers compare at a glance."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        self.session = session
        self.widget = make_plot_widget()
        self.widget.setParent(parent)
        self.widget.setObjectName("histogramPlot")
        self.kind = "gradients"
        self.log = True
        self.layers: list[int] | None = None
        self.plots: list[pg.PlotItem] = []
        self.images: list[pg.ImageItem] = []
        self.grids: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # shown layer → (edges, shares)
        self.cmap = pg.ColorMap([0.0, 0.15, 1.0], [(255, 255, 255), (158, 202, 225), (8, 48, 107)])
        self._shown: list[int] = []

    def set_choice(self, kind: str, log: bool, layers: list[int] | None) -> None:
        self.kind, self.log, self.layers = kind, log and kind != "weights", layers
        self.refresh()

    def _layout(self, shown: list[int], n_layers: int) -> None:
        if shown == self._shown and len(self.plots) == len(shown):
            return
        self.widget.clear()
        self.plots, self.images = [], []
        label = next(y for k, _t, y, _ in CHOICES if k == self.kind)
        for col, l in enumerate(shown):
            plot = self.widget.addPlot(row=0, col=col)
            style_plot(
                plot, f"W{l + 1}: {weight_layer_name(l, n_layers)}", "epoch", label if col == 0 else ""
            )
            plot.setDownsampling(auto=False)
            plot.setClipToView(False)
            image = pg.ImageItem()
            image.setAutoDownsample(True)  # more epochs than pixels: averaged, not dropped
            image.setLookupTable(self.cmap.getLookupTable(nPts=256))
            plot.addItem(image)
            self.plots.append(plot)
            self.images.append(image)
        self._shown = list(shown)

    def refresh(self) -> None:
        tr = self.session.trainer
        L = self.session.network.n_layers
        shown = list(range(L)) if self.layers is None else list(self.layers)
        self._layout(shown, L)
        label = next(y for k, _t, y, _ in CHOICES if k == self.kind)
        for col, plot in enumerate(self.plots):
            plot.setLabel("left", (f"log₁₀ {label}" if self.log else label) if col == 0 else "", color="#222")
        self.grids = {}
        log = tr.history.dists if tr is not None else None
        if log is None or not log.records:
            for image in self.images:
                image.clear()
            return
        values = log.array(self.kind)
        if values.shape[1] != L:
            return
        epochs = np.asarray(log.epochs, dtype=np.float64)
        # one value range for every layer shown: the plots share their value axis
        q_all = values[:, shown, :].reshape(-1, values.shape[-1])
        floor = log_floor(q_all)
        _edges, _ = histogram_grid(epochs, q_all, self.log, floor=floor)
        lo, hi = float(_edges[0]), float(_edges[-1])
        step = float(epochs[1] - epochs[0]) if epochs.size > 1 else 1.0
        for image, l in zip(self.images, shown):
            edges, shares = histogram_grid(epochs, values[:, l, :], self.log, lo, hi, floor)
            self.grids[l] = (edges, shares)
            top = float(shares.max()) if shares.size else 0.0
            image.setImage(shares, autoLevels=False, levels=(0.0, top if top > 0 else 1.0))
            image.setRect(
                QRectF(epochs[0] - step / 2, lo, step * epochs.size if epochs.size else 1.0, hi - lo)
            )
        x0, x1 = epochs[0] - step / 2, epochs[0] - step / 2 + step * max(epochs.size, 1)
        for plot in self.plots:  # the whole grid (an auto-range before the first layout can cut it)
            plot.setRange(xRange=(x0, x1), yRange=(lo, hi), padding=0.02)

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        """Long form: per shown layer, recorded epoch and grid cell, the cell's range and the share of
        the layer's weights in it (of the kind shown; log₁₀ of the values on a log axis)."""
        header = ["layer", "epoch", "cell_low", "cell_high", "share"]
        tr = self.session.trainer
        rows: list[tuple[int, int, float, float, float]] = []
        if tr is not None and self.grids:
            epochs = tr.history.dists.epochs
            for l, (edges, shares) in self.grids.items():
                for i, epoch in enumerate(epochs[: shares.shape[0]]):
                    for c in range(shares.shape[1]):
                        rows.append((l + 1, epoch, float(edges[c]), float(edges[c + 1]), float(shares[i, c])))
        columns = [np.array([r[i] for r in rows], dtype=object) for i in range(2)]
        columns += [np.array([r[i] for r in rows], dtype=np.float64) for i in range(2, 5)]
        return header, columns
