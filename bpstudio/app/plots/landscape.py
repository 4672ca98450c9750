"""The Loss Landscape dock (issue 15.2): the loss over a plane of parameter space around the current
weights, as a heat map with contour lines and a slice through the current point, and the path the
optimiser takes over it as training runs.

The plane is spanned by two chosen weights or biases (the classic error surface: the axes are those
parameters' values) or by two random directions (filter-normalised; for larger networks). The grid is
computed in the background (:func:`bpstudio.engine.landscape.loss_surface`, vectorised), on the
training samples (the first :data:`MAX_SAMPLES`), with Compute and Cancel; the path is the projection
of the parameters onto the plane after every update the window sees.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...engine import EngineError
from ...engine.landscape import (
    Surface,
    loss_surface,
    principal_directions,
    random_directions,
    unit_direction,
)
from ..changes import Change
from ..flow_layout import FlowBar, FlowLayout
from ..training.background import BackgroundTask, TaskState
from .common import (
    COLOURS,
    ExportButton,
    make_plot_widget,
    on_resize,
    plottable,
    refit,
    set_title,
    side_by_side,
    style_plot,
)

#: what the panel says before the first landscape
START_MESSAGE = "Compute maps the loss around the current weights."

#: the plots' titles, and their short ones side by side
MAP_TITLE = "Loss over the plane"
MAP_SHORT_TITLE = "Loss map"
SLICE_TITLE = "Slice through the current point"
SLICE_SHORT_TITLE = "Slice through here"

#: the landscape is computed on at most this many training samples (the first ones)
MAX_SAMPLES = 1_000
#: grid points per side by default
DEFAULT_GRID = 60
#: the training path (for the principal directions) is kept for networks of at most this many
#: parameters, and at most this many points of it
MAX_PATH_PARAMETERS = 20_000
MAX_PATH_POINTS = 500


class LandscapePanel(QWidget):
    """See the module docstring."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("landscapePanel")
        self.session = session
        self.surface: Surface | None = None
        self.directions: tuple[list[np.ndarray], list[np.ndarray]] | None = None
        self.origin: list[np.ndarray] | None = None  # the parameters at the grid's centre
        self.offset = (0.0, 0.0)  # the axes' values at the centre (the two weights' values)
        self.path: list[tuple[float, float]] = []
        self.labels = ("", "")
        self.task = BackgroundTask("loss landscape", self)
        self.task.partial.connect(self._progress)
        self.task.finished.connect(self._done)
        self.task.failed.connect(self._failed)

        self.mode = QComboBox()
        self.mode.setObjectName("landscapeMode")
        self.mode.addItem("Two weights", "weights")
        self.mode.addItem("Random directions", "random")
        self.mode.addItem("Principal directions of the path", "pca")
        self.mode.setToolTip(
            "The plane: two weights or biases (their values on the axes), random directions, or the "
            "two directions along which the weights have moved most while training (the path's "
            "principal components)"
        )
        #: the parameters (flattened) after each change the window was told of: the training path
        #: whose principal directions the "pca" plane uses (networks of at most MAX_PATH_PARAMETERS)
        self.trajectory: list[np.ndarray] = []
        self.first = QComboBox()
        self.first.setObjectName("landscapeFirst")
        self.second = QComboBox()
        self.second.setObjectName("landscapeSecond")
        self.seed = QSpinBox()
        self.seed.setRange(0, 999_999)
        self.seed.setPrefix("seed ")
        self.span = QDoubleSpinBox()
        self.span.setObjectName("landscapeSpan")
        self.span.setRange(0.01, 1000.0)
        self.span.setValue(3.0)
        self.span.setPrefix("± ")
        self.span.setToolTip("How far the grid reaches either side of the current point")
        self.grid = QSpinBox()
        self.grid.setObjectName("landscapeGrid")
        self.grid.setRange(5, 200)
        self.grid.setValue(DEFAULT_GRID)
        self.grid.setSuffix(" × grid")
        self.compute_button = QPushButton("&Compute")
        self.compute_button.setObjectName("landscapeCompute")
        self.compute_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()  # shown (with the progress) while a landscape is computed
        self.cancel_button.clicked.connect(self.task.cancel)
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel("")
        self.message.setObjectName("landscapeMessage")
        self.message.setWordWrap(True)
        self.samples = QComboBox()
        self.samples.setObjectName("landscapeSamples")
        self.samples.addItem("training set", "train")
        self.samples.addItem("current batch", "batch")
        self.samples.setToolTip(
            f"The loss over the training set (its first {MAX_SAMPLES:,} samples), or over the batch of "
            "the current step (the one the δ/Δw table shows; before any step, the next batch)"
        )
        self.export_button = ExportButton(self, lambda: self.plots.scene(), self.csv_data, "loss-landscape")
        self.export_button.setObjectName("landscapeExport")
        row1 = FlowLayout()  # both rows wrap in a narrow dock
        for w in (self.mode, self.first, self.second, self.seed, self.samples):
            row1.addWidget(w)
        row1.addStretch(1)
        row1.addWidget(self.export_button)  # at the right, as in the other plot panels
        row2 = FlowLayout()
        for w in (self.span, self.grid, self.compute_button, self.cancel_button):
            row2.addWidget(w)
        row2.addWidget(self.progress, 1)

        self.plots = make_plot_widget()
        self.map_plot = self.plots.addPlot(row=0, col=0)
        style_plot(self.map_plot, MAP_TITLE, "", "")
        # the whole path, also where it leaves the grid (clipped to the view, getData() and the
        # exported picture would lose the points outside it)
        self.map_plot.setDownsampling(auto=False)
        self.map_plot.setClipToView(False)
        self.image = pg.ImageItem()
        self.map_plot.addItem(self.image)
        self.cmap = pg.colormap.get("viridis")
        self.image.setLookupTable(self.cmap.getLookupTable(nPts=256))
        self.isos = [pg.IsocurveItem(pen=pg.mkPen("#ffffff", width=1)) for _ in range(6)]
        for iso in self.isos:
            iso.setParentItem(self.image)
        red = "#d62728"
        self.path_item = pg.PlotDataItem(
            pen=pg.mkPen(red, width=2), symbol="o", symbolSize=4, symbolBrush=red
        )
        self.here = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#ffffff"), pen=pg.mkPen(red, width=2))
        self.map_plot.addItem(self.path_item)
        self.map_plot.addItem(self.here)
        #: the paths of the runs side by side (Compare Runs), one per run in the run's colour
        self.run_items: list[pg.PlotDataItem] = []
        self.slice_plot = self.plots.addPlot(row=1, col=0)
        self._side_by_side = False
        self._whole_titles = True
        style_plot(self.slice_plot, SLICE_TITLE, "", "loss")
        on_resize(self.plots, self._arrange, self.map_plot, self.slice_plot)
        # (before any item is added: pyqtgraph's automatic downsampling failed on a degenerate range,
        # "Maximum allowed dimension exceeded", and the setting is passed to every item)
        self.slice_plot.setDownsampling(auto=False)
        self.slice_plot.setClipToView(False)
        self.slice_curve = self.slice_plot.plot(pen=pg.mkPen("#1f77b4", width=2))
        self.slice_here = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(red))
        self.slice_plot.addItem(self.slice_here)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(FlowBar(row1))
        layout.addWidget(FlowBar(row2))
        layout.addWidget(self.message)
        layout.addWidget(self.plots, 1)

        self.mode.currentIndexChanged.connect(self._mode_changed)
        session.changed.connect(self._changed)
        self._fill_choices()
        self._record()
        self._mode_changed()
        if not self.message.text():  # what to do first (the place of the messages stays put)
            self.message.setText(START_MESSAGE)

    def fit_height(self, pixels: int) -> None:
        """The dock's scroll area shows ``pixels`` of the panel: arrange the plots for what shows."""
        self._arrange()

    def _arrange(self) -> None:
        """The slice beside the map in a wide dock (when both fit its width), under it in a tall one."""
        wide, whole = side_by_side(
            self,
            self.plots,
            (self.map_plot, self.slice_plot),
            (MAP_TITLE, SLICE_TITLE),
            (MAP_SHORT_TITLE, SLICE_SHORT_TITLE),
            (self._side_by_side, self._whole_titles),
        )
        if whole != self._whole_titles:
            self._whole_titles = whole
            set_title(self.map_plot, MAP_TITLE if whole else MAP_SHORT_TITLE)
            set_title(self.slice_plot, SLICE_TITLE if whole else SLICE_SHORT_TITLE)
        if wide != self._side_by_side:
            self._side_by_side = wide
            self.plots.removeItem(self.slice_plot)
            self.plots.addItem(self.slice_plot, row=0 if wide else 1, col=1 if wide else 0)
            refit(self.plots)

    # ------------------------------------------------------------------ choices
    def _fill_choices(self) -> None:
        """Every weight and bias of the network, named in the notation (the first two chosen)."""
        net = self.session.network
        names = self.session.names
        entries = []
        for l in range(net.n_layers):
            W = net.weights[l]
            mask = net.masks[l]
            for j in range(W.shape[0]):
                for k in range(W.shape[1]):
                    if mask is None or mask[j, k]:
                        entries.append((names.weight(l, j, k), ("weight", l, j, k)))
            entries += [(names.bias(l, j), ("bias", l, j, None)) for j in range(W.shape[0])]
            if len(entries) > 5_000:  # a large network: random directions are the sensible plane
                break
        for box, default in ((self.first, 0), (self.second, 1)):
            box.blockSignals(True)
            box.clear()
            for text, data in entries:
                box.addItem(text, data)
            box.setCurrentIndex(min(default, box.count() - 1))
            box.blockSignals(False)

    def _mode_changed(self, *_args) -> None:
        mode = self.mode.currentData()
        weights = mode == "weights"
        self.first.setVisible(weights)
        self.second.setVisible(weights)
        self.seed.setVisible(mode == "random")
        self.span.setValue(3.0 if weights else self._path_extent() if mode == "pca" else 1.0)

    def _path_extent(self) -> float:
        """A span that holds the training path on its principal plane (1.25 × its farthest point)."""
        try:
            d1, d2, _shares = principal_directions(self.session.network, self.trajectory)
        except EngineError:
            return 1.0
        theta = np.concatenate([p.ravel() for p in self.session.network.parameters()])
        basis = np.stack([np.concatenate([a.ravel() for a in d]) for d in (d1, d2)])
        coords = (np.asarray(self.trajectory) - theta) @ basis.T
        return float(min(max(1.25 * np.abs(coords).max(), 0.01), 1000.0))

    def _changed(self, change: Change) -> None:
        if change & (Change.SHAPE | Change.PROJECT | Change.STRUCTURE):
            self.task.cancel()
            self._fill_choices()
            self.trajectory = []
            self._record()
            self._clear("The network changed: compute the landscape again.")
        elif change & Change.VALUES:
            self._record()
            self._follow()
        if change & Change.RUNS:
            self.draw_runs()

    # ------------------------------------------------------------------ computing
    def start(self) -> bool:
        """Compute the landscape around the current parameters (in the background)."""
        s = self.session
        tr = s.trainer
        if self.task.running:
            return False
        if tr is None:
            self.message.setText(f"No training data: {s.trainer_problem or 'choose a dataset'}")
            return False
        net = s.network.copy()
        try:
            if self.mode.currentData() == "weights":
                a, b = self.first.currentData(), self.second.currentData()
                if a is None or b is None or a == b:
                    self.message.setText("Choose two different weights or biases.")
                    return False
                d1, d2 = unit_direction(net, *a), unit_direction(net, *b)
                self.offset = (self._value(net, a), self._value(net, b))
                labels = (self.first.currentText(), self.second.currentText())
            elif self.mode.currentData() == "pca":
                d1, d2, shares = principal_directions(net, self.trajectory)
                self.offset = (0.0, 0.0)
                labels = (
                    f"α (principal direction 1, {shares[0]:.0%} of the path)",
                    f"β (principal direction 2, {shares[1]:.0%})",
                )
            else:
                d1, d2 = random_directions(net, self.seed.value())
                self.offset = (0.0, 0.0)
                labels = ("α (direction 1)", "β (direction 2)")
        except EngineError as exc:
            self.message.setText(str(exc))
            return False
        rows = self.sample_rows()
        n = len(rows)
        X, T, config = tr.X[rows].copy(), tr.T[rows].copy(), tr.config
        span, g = self.span.value(), self.grid.value()
        steps = np.linspace(-span, span, g)

        def work(state: TaskState) -> Surface:
            def progress(done: int, total: int) -> bool:
                state.send((done, total))
                return not state.cancelled

            return loss_surface(net, config, X, T, d1, d2, steps, steps, progress)

        self.directions, self.origin = (d1, d2), [p.copy() for p in net.parameters()]
        self.labels = labels
        self.path = []
        self.compute_button.setEnabled(False)
        self.cancel_button.show()
        self.progress.setRange(0, 0)
        self.progress.show()
        what = "the current batch" if self.samples.currentData() == "batch" else "training samples"
        self.message.setText(f"Computing {g} × {g} points on {n:,} {what}…")
        self.task.start(work)
        return True

    def sample_rows(self) -> np.ndarray:
        """The training rows the loss is computed on: the first :data:`MAX_SAMPLES` of the training
        set, or the current step's batch (before a step: the next batch)."""
        tr = self.session.trainer
        assert tr is not None
        if self.samples.currentData() == "batch":
            trace = self.session.trace
            if trace is not None and len(trace.sample_indices):
                return np.asarray(trace.sample_indices, dtype=np.int64)
            return np.asarray(tr.next_batch_indices(), dtype=np.int64)
        return np.arange(min(int(tr.X.shape[0]), MAX_SAMPLES))

    @staticmethod
    def _value(net, which) -> float:
        kind, layer, index, frm = which
        return float(net.weights[layer][index, frm] if kind == "weight" else net.biases[layer][index])

    def _progress(self, partial: tuple[int, int]) -> None:
        done, total = partial
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _finish(self) -> None:
        self.compute_button.setEnabled(True)
        self.cancel_button.hide()
        self.progress.hide()

    def _done(self, surface: Surface) -> None:
        self._finish()
        self.surface = surface
        ox, oy = self.offset
        a, b = surface.alphas, surface.betas
        values = plottable(surface.values)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            self._clear("The loss is not a finite number anywhere on this grid: try a smaller span.")
            return
        lo, hi = float(finite.min()), float(finite.max())
        self.image.setImage(values.T, autoLevels=False, levels=(lo, hi if hi > lo else lo + 1))
        dx = (a[-1] - a[0]) / max(a.size - 1, 1)
        dy = (b[-1] - b[0]) / max(b.size - 1, 1)
        self.image.setRect(QRectF(ox + a[0] - dx / 2, oy + b[0] - dy / 2, dx * a.size, dy * b.size))
        for iso, level in zip(self.isos, np.linspace(lo, hi, len(self.isos) + 2)[1:-1]):
            iso.setData(np.nan_to_num(values.T, nan=hi), level=float(level))
        x_label, y_label = self.labels
        self.map_plot.setLabel("bottom", x_label)
        self.map_plot.setLabel("left", y_label)
        self.slice_plot.setLabel("bottom", x_label)
        middle = int(np.argmin(np.abs(b)))  # the row through the current point
        xs = plottable(ox + a)
        self.slice_curve.setData(xs, values[middle], connect="finite")
        self.slice_here.setData([ox], [surface.centre])
        self.map_plot.autoRange()
        self.slice_plot.autoRange()
        state = "" if surface.complete else " (cancelled: the rows not reached are blank)"
        self.message.setText(
            f"Loss {lo:.4g} … {hi:.4g} over the grid; {surface.centre:.6g} at the current point{state}. "
            "The red path shows the parameters as training goes on (on this plane); dashed paths "
            "in the runs' colours are the runs of Compare Runs."
        )
        self.path = []
        self._follow()
        self.draw_runs()

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        reason = str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
        self.message.setText(f"Could not compute the landscape: {reason[:300]}")

    def _clear(self, message: str) -> None:
        self.surface = None
        self.directions = self.origin = None
        self.path = []
        self.image.clear()
        for iso in self.isos:
            iso.setData(None)
        self.path_item.setData([], [])
        self.here.setData([], [])
        self.slice_curve.setData([], [])
        self.slice_here.setData([], [])
        self.draw_runs()
        self.message.setText(message)

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        """The grid in long form (one row per point: the two axes' values and the loss there) and, in
        columns of their own, the path's points on the plane."""
        header = [f"x: {self.labels[0]}", f"y: {self.labels[1]}", "loss", "path_x", "path_y"]
        s = self.surface
        if s is None:
            return header, [np.zeros(0)] * 5
        ox, oy = self.offset
        xs, ys = np.meshgrid(ox + s.alphas, oy + s.betas)  # [i, j] at (alphas[j], betas[i])
        path = np.asarray(self.path, dtype=np.float64).reshape(-1, 2)
        return header, [xs.ravel(), ys.ravel(), np.asarray(s.values).ravel(), path[:, 0], path[:, 1]]

    # ------------------------------------------------------------------ the path
    def coordinates(self) -> tuple[float, float] | None:
        """The current parameters projected onto the plane: (α, β) with θ − θ₀ ≈ α·d₁ + β·d₂, in the
        axes' units (plus the two weights' values at the centre)."""
        if self.directions is None or self.origin is None:
            return None
        params = self.session.network.parameters()
        if [p.shape for p in params] != [p.shape for p in self.origin]:
            return None
        xy = self.run_coordinates([np.concatenate([p.ravel() for p in params])])
        return None if xy is None else (float(xy[0, 0]), float(xy[0, 1]))

    def run_coordinates(self, points: list[np.ndarray]) -> np.ndarray | None:
        """Flattened parameter vectors (a run's path) projected onto the plane as :meth:`coordinates`
        projects the current parameters: an array (n, 2), or None without a plane of this shape."""
        if self.directions is None or self.origin is None or not points:
            return None
        origin = np.concatenate([p.ravel() for p in self.origin])
        d1 = np.concatenate([a.ravel() for a in self.directions[0]])
        d2 = np.concatenate([b.ravel() for b in self.directions[1]])
        P = np.asarray(points, dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != origin.size:
            return None
        diff = P - origin
        n1, n2 = float(d1 @ d1), float(d2 @ d2)
        alpha = diff @ d1 / n1 if n1 else np.zeros(len(P))
        beta = diff @ d2 / n2 if n2 else np.zeros(len(P))
        return np.column_stack([self.offset[0] + alpha, self.offset[1] + beta])

    def draw_runs(self) -> None:
        """The paths of the runs side by side on the plane, each in its run's colour."""
        runs = self.session.runs
        while len(self.run_items) < len(runs):
            i = len(self.run_items)
            colour = COLOURS[i % len(COLOURS)]
            item = pg.PlotDataItem(
                pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine),
                symbol="t",
                symbolSize=5,
                symbolBrush=colour,
                symbolPen=None,
            )
            self.map_plot.addItem(item)
            self.run_items.append(item)
        for i, item in enumerate(self.run_items):
            xy = None
            if i < len(runs):
                xy = self.run_coordinates(self.session.run_paths.get(runs[i].name, []))
            if xy is None:
                item.setData([], [])
            else:
                item.setData(xy[:, 0], xy[:, 1])

    def _record(self) -> None:
        """Add the current parameters to the training path (at most MAX_PATH_POINTS: then every
        other point goes, the first and the latest stay)."""
        params = self.session.network.parameters()
        if sum(p.size for p in params) > MAX_PATH_PARAMETERS:
            return
        flat = np.concatenate([p.ravel() for p in params])
        if self.trajectory and self.trajectory[-1].shape != flat.shape:
            self.trajectory = []
        if self.trajectory and np.array_equal(self.trajectory[-1], flat):
            return
        self.trajectory.append(flat)
        while len(self.trajectory) > MAX_PATH_POINTS:
            del self.trajectory[1:-1:2]

    def _follow(self) -> None:
        """Add the current point to the path (after every update the window is told of)."""
        point = self.coordinates()
        if point is None:
            return
        if not self.path or self.path[-1] != point:
            self.path.append(point)
        xs, ys = zip(*self.path)
        self.path_item.setData(list(xs), list(ys))
        self.here.setData([xs[-1]], [ys[-1]])
