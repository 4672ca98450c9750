"""Decision boundary for networks with two inputs: the network's output (or one neuron's output) as a
heat map over the input plane, with the data points on top, updated live.

The map is the engine's ``Network.forward`` on a grid of input points; this widget only builds the
grid and colours the result. Selecting a hidden neuron (here or on the canvas) shows that neuron's
own output: with a sigmoid or tanh unit, its 0.5 (or 0) contour is the line that neuron draws.
Hovering a neuron on the canvas (``Session.hoverChanged``) shows its map while the pointer rests on it.

One forward pass gives every layer's activations on the grid; they are kept until the weights, the
network or the data change, so switching between neurons (hovering along a layer) only recolours.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QStackedWidget, QVBoxLayout, QWidget

from ...teaching.labels import layer_title
from ..changes import Change
from ..flow_layout import FlowBar, FlowLayout, Together
from .common import (
    COLOURS,
    ExportButton,
    Throttle,
    hidden,
    make_plot_widget,
    on_resize,
    refit,
    release_axes,
    set_title,
    style_plot,
    title_width,
)

#: grid points per axis
RESOLUTION = 120
#: at most this many activations are computed and kept for the grid (points × neurons past the
#: input): a wider network gets a coarser grid. At 120 × 120 points a hidden layer of 4,096 was
#: 59 million activations, 470 MB kept and 2 s of every step's redraw.
GRID_BUDGET = 4_000_000
#: the coarsest grid, points per axis
MIN_RESOLUTION = 32


def grid_resolution(sizes: list[int] | tuple[int, ...]) -> int:
    """Points per axis of the map's grid for a network of layer ``sizes``: :data:`RESOLUTION`, or as
    many as keep points × Σ neurons (past the input) within :data:`GRID_BUDGET`, at least
    :data:`MIN_RESOLUTION`."""
    neurons = max(sum(sizes[1:]), 1)
    fits = int((GRID_BUDGET / neurons) ** 0.5)
    return max(MIN_RESOLUTION, min(RESOLUTION, fits))


#: the map's title size (points at the default text size)
TITLE_POINTS = 9
#: class colours of the data points (dark, so they read on the light map)
POINT_COLOURS = ["#08306b", "#a50f15", "#00441b", "#7a0177", "#8c510a", "#253494", "#b35806", "#000000"]
SPLIT_SYMBOLS = {"train": "o", "val": "t", "test": "s"}


def point_brushes(classes: np.ndarray) -> list:
    """The fill of each data point, by its class (:data:`POINT_COLOURS`): one brush per colour, shared
    by the points. A brush made for each point took 2.7 s for 50,000 points, 0.15 s shared."""
    brushes = [pg.mkBrush(c) for c in POINT_COLOURS]
    n = len(POINT_COLOURS)
    return [brushes[int(c) % n] for c in classes]


def _class_colours(k: int) -> np.ndarray:
    cols = [pg.mkColor(COLOURS[i % len(COLOURS)]) for i in range(k)]
    return np.array([[c.red(), c.green(), c.blue()] for c in cols], dtype=np.float64)


class BoundaryPlotPanel(QWidget):
    """The "Decision boundary" dock."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("boundaryPlotPanel")
        self.what_box = QComboBox()
        self.what_box.setToolTip("Whose output to map: the network's, or one neuron's")
        self.follow_box = QCheckBox("Follow selection")
        self.follow_box.setChecked(True)
        self.follow_box.setToolTip("Show the map of the neuron selected on the canvas or in the table")
        self.points_box = QCheckBox("Points")
        self.points_box.setChecked(True)
        self.export_button = ExportButton(
            self, lambda: self.plots.scene(), self.csv_data, "decision-boundary"
        )
        bar = FlowLayout()  # wraps in a narrow dock
        bar.addWidget(Together(QLabel("Show"), self.what_box), 1)
        bar.addWidget(self.follow_box)
        bar.addWidget(self.points_box)
        bar.addWidget(self.export_button)

        self.plots = make_plot_widget()
        self.plot = self.plots.addPlot()
        style_plot(self.plot, "Network output", "x₁", "x₂")
        self.plot.setDownsampling(auto=False)
        self.plot.setClipToView(False)
        self.image = pg.ImageItem()
        self.image.setOpacity(0.8)
        self.plot.addItem(self.image)
        self.iso = pg.IsocurveItem(pen=pg.mkPen("#222", width=2))
        self.iso.setParentItem(self.image)
        self.cmap = pg.colormap.get("CET-D1")
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.cmap, interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.scatter = {sp: pg.ScatterPlotItem(size=9, pxMode=True) for sp in SPLIT_SYMBOLS}
        for item in self.scatter.values():
            item.setZValue(10)
            self.plot.addItem(item)

        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plots)
        self.stack.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(FlowBar(bar))
        layout.addWidget(self.stack, 1)

        self.grid: tuple[np.ndarray, np.ndarray] | None = None
        self.values: np.ndarray | None = None
        self._bounds: tuple[float, float, float, float] | None = None
        self._title = ""
        #: the title's forms, longest first (:meth:`_fit_title` shows the longest that fits)
        self._titles: list[str] = []
        #: every layer's activations on the grid for the current weights (None: to be computed)
        self._acts: list[np.ndarray] | None = None
        #: (layer, neuron) of the hovered neuron being shown, neuron −1: the network's output
        self.hovered: tuple[int, int] | None = None
        self.throttle = Throttle(self.refresh, lambda: session.running, self)
        session.changed.connect(self._changed)
        session.selectionChanged.connect(self._follow)
        # hover changes arriving in one turn of the event loop are applied once, the last one winning
        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(0)
        self._hover_timer.timeout.connect(self._apply_hover)
        session.hoverChanged.connect(self._hover_soon)  # a bound method: dropped with this panel
        self.what_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.points_box.toggled.connect(lambda _v: self._draw_points())
        on_resize(self.plots, self._fit_title, self.plot)
        self._rebuild()

    # ------------------------------------------------------------------ setup
    @property
    def available(self) -> bool:
        s = self.session
        return s.network.n_inputs == 2 and s.trainer is not None

    def _changed(self, change: Change) -> None:
        if change & Change.VALUES:
            self._acts = None  # the grid's activations were computed with the old weights
        if change & (Change.SHAPE | Change.DATASET):
            self._rebuild()
        elif change & Change.VALUES:
            self.throttle()

    def _rebuild(self) -> None:
        s = self.session
        net = s.network
        self._bounds = None
        self._acts = None
        release_axes(self.plot)  # other inputs: the axes need not keep their label room
        self.hovered = self._hover_target(s.hovered)
        self.what_box.blockSignals(True)
        self.what_box.clear()
        L = net.n_layers
        self.what_box.addItem("Network output", f"{L}:-1")
        if net.n_outputs > 1:
            for j in range(net.n_outputs):
                self.what_box.addItem(f"Output neuron {self.session.names.neuron(L, j)}", f"{L}:{j}")
        for l in range(1, L):
            for j in range(net.sizes[l]):
                self.what_box.addItem(
                    f"{layer_title(l, L)} neuron {self.session.names.neuron(l, j)}", f"{l}:{j}"
                )
        self.what_box.blockSignals(False)
        if net.n_inputs != 2:
            self.message.setText(
                f"The decision boundary needs a network with 2 inputs; this one has {net.n_inputs}.\n"
                "Choose a 2-D dataset (XOR, circles, moons, spirals…) to see it."
            )
            self.stack.setCurrentWidget(self.message)
        elif s.trainer is None:
            self.message.setText(f"No data to show: {s.trainer_problem or 'choose a dataset'}")
            self.stack.setCurrentWidget(self.message)
        else:
            self.stack.setCurrentWidget(self.plots)
        self._follow(s.selection)
        self.refresh()
        self._draw_points()

    def _follow(self, sel) -> None:
        if not self.follow_box.isChecked() or sel.kind != "neuron" or sel.layer < 1:
            return
        pos = self.what_box.findData(f"{sel.layer}:{sel.index}")
        if sel.layer == self.session.network.n_layers and self.session.network.n_outputs == 1:
            pos = 0
        if pos >= 0:
            self.what_box.setCurrentIndex(pos)

    @property
    def chosen(self) -> tuple[int, int]:
        """(neuron layer, neuron) chosen in the Show box (or by following the selection)."""
        data = self.what_box.currentData()
        if not data:
            return self.session.network.n_layers, -1
        layer, j = str(data).split(":")
        return int(layer), int(j)

    @property
    def shown(self) -> tuple[int, int]:
        """(neuron layer, neuron) whose output is mapped: the hovered neuron, else the chosen one;
        neuron −1: the network's output."""
        return self.hovered if self.hovered is not None else self.chosen

    # ------------------------------------------------------------------ hover
    def _hover_target(self, sel) -> tuple[int, int] | None:
        """The (layer, neuron) a hovered Selection asks to map: a hidden or output neuron; else None."""
        net = self.session.network
        if sel is None or sel.kind != "neuron" or not 1 <= sel.layer <= net.n_layers:
            return None
        if not 0 <= sel.index < net.sizes[sel.layer]:
            return None
        if sel.layer == net.n_layers and net.n_outputs == 1:
            return net.n_layers, -1
        return sel.layer, sel.index

    def _hover_soon(self, _sel) -> None:
        self._hover_timer.start()

    def _apply_hover(self) -> None:
        target = self._hover_target(self.session.hovered)
        if target == self.hovered:
            return
        self.hovered = target
        if not self.available:
            return
        if hidden(self):  # drawn when the dock is shown again
            self.throttle.stale = True
            return
        self.refresh()

    def _forget_activations(self) -> None:
        self._acts = None

    def activations(self) -> list[np.ndarray]:
        """Every layer's activations on the grid points (``Network.forward``), computed once per weights."""
        if self._acts is None:
            self._grid()
            _zs, self._acts = self.session.network.forward(self._points)
        return self._acts

    def describe(self, layer: int, j: int) -> str:
        """Whose map is shown, in the notes' names: "Network output" or "a₂⁽²⁾, hidden neuron 2",
        after "Hover:" or "Selected:" when that is why it is shown."""
        net = self.session.network
        if j < 0:
            who = "network output"
        else:
            name = self.session.names.neuron(layer, j)
            who = f"{name}, {layer_title(layer, net.n_layers).lower()} neuron {j + 1}"
        sel = self.session.selection
        if sel.kind == "neuron" and self._hover_target(sel) == (layer, j) and (j >= 0 or self.hovered):
            return f"Selected: {who}"  # (also while the pointer still rests on it)
        if self.hovered is not None:
            return f"Hover: {who}"
        return who[0].upper() + who[1:]

    def _splits(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        tr = self.session.trainer
        if tr is None:
            return {}
        out = {"train": (tr.X, tr.T)}
        if tr.val is not None:
            out["val"] = tr.val
        if tr.test is not None:
            out["test"] = tr.test
        return out

    def _grid(self) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float, float]]:
        if self._bounds is None:
            X = np.vstack([x for x, _ in self._splits().values()])
            lo, hi = X.min(axis=0), X.max(axis=0)
            span = np.maximum(hi - lo, 0.5)
            lo, hi = lo - 0.1 * span, hi + 0.1 * span
            self._bounds = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
            self._acts = None
            n = grid_resolution(self.session.network.sizes)
            xs = np.linspace(lo[0], hi[0], n)
            ys = np.linspace(lo[1], hi[1], n)
            gx, gy = np.meshgrid(xs, ys, indexing="ij")
            self.grid = (xs, ys)
            self._points = np.column_stack([gx.ravel(), gy.ravel()])
        return self.grid[0], self.grid[1], self._bounds  # type: ignore[index]

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        if not self.available:
            self.values = None
            return
        s = self.session
        net = s.network
        xs, ys, (x0, x1, y0, y1) = self._grid()
        layer, j = self.shown
        out = self.activations()[layer]
        act_name = net.activations[layer - 1]
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        tr = s.trainer
        multiclass = layer == net.n_layers and j < 0 and net.n_outputs > 1
        if multiclass:
            self.values = np.argmax(out, axis=1).reshape(xs.size, ys.size).astype(float)
            self.image.setImage(self._class_image(out, xs.size, ys.size), autoLevels=False, levels=(0, 255))
            self.iso.setData(None)
            self.colorbar.setVisible(False)
            who = self.describe(layer, j)
            titles = [
                f"{who}: the class with the largest output (paler = less sure)",
                f"{who}: the class",
                who,
            ]
        else:
            col = 0 if j < 0 else j
            vals = out[:, col].reshape(xs.size, ys.size)
            self.values = vals
            lo, hi = self._levels(layer, act_name, vals, tr)
            self.colorbar.setVisible(True)
            self.image.setImage(vals, autoLevels=False)
            self.colorbar.setLevels((lo, hi))
            self.iso.setData(vals, level=0.5 * (lo + hi))
            symbol = "output" if j < 0 else "a"
            who, line = self.describe(layer, j), f"line: {symbol} = {0.5 * (lo + hi):g}"
            titles = [f"{who} · {act_name}; {line}", f"{who}; {line}", f"{who} · {act_name}", who]
        self.image.setRect(rect)
        self._titles = titles
        self._fit_title()
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _fit_title(self) -> None:
        """The longest of the titles that shows whole: pyqtgraph centres a title over the map and cuts
        what reaches past the widget's edges (a narrow dock, a long neuron name while hovering)."""
        if not self._titles:
            return
        ci = self.plots.ci
        if abs(ci.geometry().width() - self.plots.range.width()) > 0.5:  # (not on every refresh)
            refit(self.plots)  # the layout is still as wide as a longer title made it
            ci.layout.activate()
        vb = self.plot.vb
        centre = vb.sceneBoundingRect().center().x()
        room = 2 * min(centre, self.plots.width() - centre) - 4
        fitting = [t for t in self._titles if title_width(self.plot, t, TITLE_POINTS) <= room]
        title = fitting[0] if fitting else self._titles[-1]
        if title != self._title:  # a new title relays the plot out: not on every refresh of a run
            self._title = title
            # loose: a longer title (hovering) must not shift the map
            set_title(self.plot, title, TITLE_POINTS, loose=True)

    def _levels(self, layer, act_name, vals, tr) -> tuple[float, float]:
        net = self.session.network
        if layer == net.n_layers and tr is not None and tr.task == "binary":
            return float(tr.T.min()), float(tr.T.max())
        if act_name in ("sigmoid", "softmax", "step"):
            return 0.0, 1.0
        if act_name == "tanh":
            return -1.0, 1.0
        lo, hi = float(np.min(vals)), float(np.max(vals))
        return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)

    def _class_image(self, out: np.ndarray, nx: int, ny: int) -> np.ndarray:
        k = out.shape[1]
        cls = np.argmax(out, axis=1)
        conf = np.clip(out[np.arange(out.shape[0]), cls], 0.0, 1.0)
        base = _class_colours(k)[cls]
        strength = (conf - 1.0 / k) / (1.0 - 1.0 / k) if k > 1 else conf
        strength = 0.25 + 0.6 * np.clip(strength, 0.0, 1.0)
        rgb = 255.0 - strength[:, None] * (255.0 - base)
        return rgb.reshape(nx, ny, 3).astype(np.uint8)

    def _draw_points(self) -> None:
        show = self.points_box.isChecked() and self.available
        tr = self.session.trainer
        for sp, item in self.scatter.items():
            item.clear()
            if not show or sp not in self._splits():
                continue
            X, T = self._splits()[sp]
            if T.shape[1] > 1:
                cls = np.argmax(T, axis=1)
            elif tr is not None and tr.task == "binary":
                cls = (T[:, 0] > 0.5 * (T.min() + T.max())).astype(int)
            else:
                cls = np.zeros(len(X), dtype=int)
            item.setData(
                pos=X,
                brush=point_brushes(cls),
                symbol=SPLIT_SYMBOLS[sp],
                pen=pg.mkPen("w", width=1.2),
                name=sp,
            )

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        if self.values is None or self.grid is None:
            return ["x1", "x2", "value"], []
        gx, gy = np.meshgrid(self.grid[0], self.grid[1], indexing="ij")
        name = self.describe(*self.shown)
        return ["x1", "x2", name], [gx.ravel(), gy.ravel(), self.values.ravel()]
