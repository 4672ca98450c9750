"""Loss and accuracy curves: per-update batch loss (raw and smoothed) and per-epoch loss/accuracy for the
training, validation and test splits.

Curves are kept as NumPy arrays that grow by the new history entries only, and drawn with
``setData`` (pyqtgraph clips to the view and downsamples), so 100,000 updates stay fluid; refreshes
are throttled while a run streams updates.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QVBoxLayout, QWidget

from ...engine.history import SPLITS, bucket_centres, trailing_mean
from ..changes import Change
from ..flow_layout import FlowBar, FlowLayout, Together
from ..ui_scale import scaled_points
from .axes import LegendRow
from .common import (
    SPLIT_COLOURS,
    SPLIT_NAMES,
    ExportButton,
    Throttle,
    as_float_array,
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
    style_plot,
)

#: grid cells lower than this (pixels) leave out the axes' names and take the short titles
COMPACT_BELOW = 170
SHORT_TITLES = {
    "Loss per epoch": "Loss / epoch",
    "Accuracy per epoch": "Accuracy",
    "Loss per update": "Loss / update",
}
#: the least height (pixels) of a plot's data area for its curves to be read
USEFUL_BAND = 40
#: what a plot's left axis may grow by once its tick labels show data (0.8 → 0.1260), in pixels
AXIS_SLACK = 14

SMOOTHING = [("auto", 0), ("off", 1), ("10", 10), ("50", 50), ("100", 100), ("500", 500), ("2000", 2000)]


class LossPlotPanel(QWidget):
    """The "Loss" dock."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("lossPlotPanel")
        # (short: the bar fits one line in a 320-pixel dock, a laptop at 150 %)
        self.log_box = QCheckBox("Log")
        self.log_box.setToolTip("Logarithmic scale on the loss axis (small losses become visible)")
        self.raw_box = QCheckBox("Raw")
        self.raw_box.setChecked(True)
        self.raw_box.setToolTip("Show every update's batch loss (faint) under the smoothed curve")
        self.smooth_box = QComboBox()
        for label, w in SMOOTHING:
            self.smooth_box.addItem(label, w)
        self.smooth_box.setToolTip(
            "Smoothing of the per-update loss: mean of the last N updates (auto: 1 % of the updates)"
        )
        self.export_button = ExportButton(self, lambda: self.plots.scene(), self.csv_data, "loss")
        bar = FlowLayout()  # wraps in a narrow dock
        bar.addWidget(self.log_box)
        bar.addWidget(self.raw_box)
        bar.addWidget(Together(QLabel("Smoothing"), self.smooth_box))
        bar.addStretch(1)
        bar.addWidget(self.export_button)

        self.plots = make_plot_widget()
        self.epoch_plot = pg.PlotItem()
        style_plot(self.epoch_plot, "Loss per epoch", "epoch", "loss")
        # the splits' colours, in a grid cell the plots leave free or a row above them: never over a curve
        self.legend = LegendRow()
        self.acc_plot = pg.PlotItem()
        style_plot(self.acc_plot, "Accuracy per epoch", "epoch", "accuracy")
        self.acc_plot.setYRange(0, 1.02)
        self.acc_plot.setXLink(self.epoch_plot)
        self.step_plot = pg.PlotItem()
        style_plot(self.step_plot, "Loss per update", "update", "loss")
        self._arrangement: tuple = ()
        # a dock resized to another shape gets the grid that suits it (and titles that fit: also when
        # the axes grow with the tick labels of data)
        on_resize(self.plots, self._arrange, self.epoch_plot, self.acc_plot, self.step_plot)
        self._long_titles = {p: p._bp_title[0] for p in (self.epoch_plot, self.acc_plot, self.step_plot)}

        self.epoch_curves = {}
        self.acc_curves = {}
        for sp in SPLITS:
            pen = pg.mkPen(SPLIT_COLOURS[sp], width=2)
            self.epoch_curves[sp] = self.epoch_plot.plot(pen=pen)
            self.acc_curves[sp] = self.acc_plot.plot(pen=pen)
        self.splits: list[str] = ["train"]
        self.raw_curve = self.step_plot.plot(pen=pg.mkPen(180, 190, 210, 150))
        self.smooth_curve = self.step_plot.plot(pen=pg.mkPen("#0072B2", width=2))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(FlowBar(bar))
        layout.addWidget(self.plots, 1)

        self._steps = np.zeros(0)
        self._ends = np.zeros(0, dtype=np.int64)
        self._thinned = None
        self._epochs: dict[str, np.ndarray] = {}
        self._acc: dict[str, np.ndarray] = {}
        self._epoch_x = np.zeros(0)
        self._history_id = None
        # one plot per turn of the event loop during a run, so that each repaint is short
        self.throttle = Throttle(
            [self._refresh_epochs, self._draw_accuracy, self._draw_steps], lambda: session.running, self
        )
        session.changed.connect(self._changed)
        session.runningChanged.connect(self._running_changed)
        self.log_box.toggled.connect(self._set_log)
        self.raw_box.toggled.connect(lambda _v: self.redraw())
        self.smooth_box.currentIndexChanged.connect(lambda _i: self.redraw())
        self._configure()

    # ------------------------------------------------------------------ data
    def _history(self):
        tr = self.session.trainer
        return None if tr is None else tr.history

    def _sync_arrays(self) -> None:
        """Bring the cached arrays up to date with the history, converting only new entries."""
        h = self._history()
        if h is None:
            self._steps = np.zeros(0)
            self._ends = np.zeros(0, dtype=np.int64)
            self._epoch_x = np.zeros(0)
            self._epochs = {sp: np.zeros(0) for sp in SPLITS}
            self._acc = {sp: np.zeros(0) for sp in SPLITS}
            self._history_id = None
            return
        n = len(h.step_loss)
        if id(h) != self._history_id or n < self._steps.size or (h.thinned, h.generation) != self._thinned:
            self._steps = np.zeros(0)
            self._ends = np.zeros(0, dtype=np.int64)  # the last update each entry stands for
            self._history_id, self._thinned = id(h), (h.thinned, h.generation)
            release_axes(*self.all_plots)  # other data: the axes need not keep their label room
        if n > self._steps.size:
            self._ends = np.concatenate([self._ends, h.step_indices(self._steps.size, n)])
            self._steps = np.concatenate(
                [self._steps, np.asarray(h.step_loss[self._steps.size : n], dtype=float)]
            )
        ne = min(len(h.epochs), *(len(h.loss[sp]) for sp in SPLITS), *(len(h.accuracy[sp]) for sp in SPLITS))
        self._epoch_x = np.asarray(h.epochs[:ne], dtype=float)
        self._epochs = {sp: as_float_array(h.loss[sp][:ne]) for sp in SPLITS}
        self._acc = {sp: as_float_array(h.accuracy[sp][:ne]) for sp in SPLITS}

    def _changed(self, change: Change) -> None:
        if change & (Change.SHAPE | Change.DATASET) or (
            change & (Change.CONFIG | Change.HISTORY) and self._legend_entries() != self.legend.entries
        ):
            self._configure()
        elif change & Change.HISTORY:
            self.throttle()

    def _train_basis(self) -> tuple[int, int, int | None]:
        """(K, N, e): the training loss shown is of K of the split's N samples (K < N: a subsample,
        ``TrainConfig.train_eval``), from epoch e on when the epochs before were measured otherwise
        (e None: all of them alike). Before the first epoch: what the next ones will be measured on."""
        tr = self.session.trainer
        if tr is None:
            return 0, 0, None
        h = tr.history
        basis = list(h.train_basis) if h.epochs else []
        if not basis:  # nothing recorded yet (or a file from before the record): the settings
            return tr.train_eval_size, tr.n_train, None
        e, k, n = basis[-1]
        kinds = {b[1:] for b in basis}
        if basis[0][0] > h.epochs[0]:
            # earlier epochs from a file that did not say: every sample (bpstudio writes the record
            # whenever a subsample was used; files from before it measured every sample, but for a
            # set of more than 4,096 samples they may have used one)
            kinds.add((n, n))
        return k, n, (e if len(kinds) > 1 else None)

    def _legend_entries(self) -> list[tuple[str, str]]:
        """(colour, name) per split; the training split's name says when a large set's loss and
        accuracy are measured on a subsample (``TrainConfig.train_eval``)."""
        k, n, since = self._train_basis()
        on = f"{k:,} of {n:,}" if k < n else f"all {n:,}"
        entries = []
        for sp in self.splits:
            name = SPLIT_NAMES[sp]
            if sp == "train" and since is not None:  # the setting changed during the history
                name = f"{name} ({on} from epoch {since:,})"
            elif sp == "train" and k < n:
                name = f"{name} ({on})"
            entries.append((SPLIT_COLOURS[sp], name))
        return entries

    def _configure(self) -> None:
        """Which plots and legend entries there are, from the task and the splits (not from the data
        so far): the layout then never changes during a run, when a relayout would stall the window."""
        tr = self.session.trainer
        parts = {"train": True, "val": tr is not None and tr.val is not None}
        parts["test"] = tr is not None and tr.test is not None
        self.splits = [sp for sp in SPLITS if parts[sp]]
        self.legend.set_entries(self._legend_entries())
        self.has_accuracy = tr is not None and tr.task in ("binary", "multiclass")
        self._arrange()
        release_axes(*self.all_plots)
        self.refresh()

    @property
    def all_plots(self) -> tuple[pg.PlotItem, ...]:
        return (self.epoch_plot, self.acc_plot, self.step_plot)

    def _running_changed(self, running: bool) -> None:
        """After a run the axes may give back the label room they kept while the curves changed."""
        if not running:
            release_later(self, *self.all_plots)

    def refresh(self) -> None:
        self._sync_arrays()
        self.redraw()

    @property
    def smoothing_window(self) -> int:
        w = int(self.smooth_box.currentData() or 0)
        return auto_window(int(self._ends[-1]) if self._ends.size else 0) if w == 0 else w

    def _show(self, y: np.ndarray) -> np.ndarray:
        return for_log_axis(y) if self.log_box.isChecked() else plottable(y)

    def redraw(self) -> None:
        self._draw_epochs()
        self._draw_accuracy()
        self._draw_steps()
        if reset_when_empty(*self.all_plots):
            self.acc_plot.setYRange(0, 1.02)  # accuracy keeps its fixed 0–1 scale

    def _refresh_epochs(self) -> None:
        self._sync_arrays()
        self._draw_epochs()

    def _draw_steps(self) -> None:
        y, ends = self._steps, self._ends  # entries of a reopened, thinned history stand for several updates
        if self.raw_box.isChecked():
            self.raw_curve.setData(bucket_centres(ends), self._show(y), connect="finite")
        else:
            self.raw_curve.setData([], [])
        at = display_positions(y.size)
        self.smooth_curve.setData(
            ends[at].astype(float),
            self._show(trailing_mean(y, ends, self.smoothing_window, at)),
            connect="finite",
        )

    def _draw_epochs(self) -> None:
        for sp in SPLITS:
            ly = self._show(self._epochs.get(sp, np.zeros(0)))
            if np.isfinite(ly).any():  # (a scatter of only gaps makes pyqtgraph warn: All-NaN slice)
                self.epoch_curves[sp].setData(
                    self._epoch_x,
                    ly,
                    connect="finite",
                    symbol=self._symbol(),
                    symbolBrush=SPLIT_COLOURS[sp],
                )
            else:
                self.epoch_curves[sp].clear()  # setData([], []) keeps the old symbols

    def _draw_accuracy(self) -> None:
        for sp in SPLITS:
            ay = plottable(self._acc.get(sp, np.zeros(0)))
            if np.isfinite(ay).any():
                self.acc_curves[sp].setData(
                    self._epoch_x, ay, connect="finite", symbol=self._symbol(), symbolBrush=SPLIT_COLOURS[sp]
                )
            else:
                self.acc_curves[sp].clear()

    def _arrange(self) -> None:
        """Lay the plots out in the grid whose cells are closest to a 1.6 : 1 landscape shape (side by
        side in a wide dock, stacked in a tall one); no accuracy plot for regression. The legend takes
        a cell the plots leave free, else a row above them. In low cells the axes' names go and the
        titles get shorter, to leave the curves and tick labels room.

        A grid that would push a plot out of the dock (cells smaller than its axes, tick labels and
        title need) loses to any grid that does not, and one whose plots keep less than
        :data:`USEFUL_BAND` pixels for their curves loses to one that keeps them."""
        plots = (
            [self.epoch_plot]
            + ([self.acc_plot] if getattr(self, "has_accuracy", False) else [])
            + [self.step_plot]
        )
        n = len(plots)
        w, h = max(self.plots.width(), 1), max(self.plots.height(), 1)
        layout = self.plots.ci.layout
        gap_x, gap_y = layout.horizontalSpacing(), layout.verticalSpacing()
        legend_h = self.legend.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()
        font = QFont()
        font.setPointSizeF(scaled_points(10.0))
        fm = QFontMetricsF(font)
        least_size = Qt.SizeHint.MinimumSize

        def least(p: pg.PlotItem, compact: bool) -> tuple[float, float]:
            """The least width and height of plot ``p`` with the title of a low or a normal cell."""
            m = p.effectiveSizeHint(least_size)
            shown = p.titleLabel.minimumWidth()
            others = max(
                p.vb.effectiveSizeHint(least_size).width(),
                p.getAxis("bottom").effectiveSizeHint(least_size).width(),
            )
            title = (
                shown - fm.horizontalAdvance(p._bp_title[0]) + fm.horizontalAdvance(self._title(p, compact))
            )
            width = m.width() - max(shown, others) + max(title, others)
            return width + AXIS_SLACK, m.height()

        def badness(cols: int) -> float:
            rows = math.ceil(n / cols)
            sizes = [least(p, h / rows < COMPACT_BELOW) for p in plots]
            need_w = sum(max(sizes[i][0] for i in range(c, n, cols)) for c in range(cols))
            need_w += (cols - 1) * gap_x + 4
            row_h = [max(sizes[i][1] for i in range(r * cols, min(n, r * cols + cols))) for r in range(rows)]
            legend = 0 if rows * cols > n else legend_h + gap_y
            need_h = sum(row_h) + (rows - 1) * gap_y + 4 + legend
            cut = max(0.0, need_w - w) / w + max(0.0, need_h - h) / h  # plots pushed out of the dock
            band = (h - 4 - legend - (rows - 1) * gap_y) / rows - max(row_h)  # room for the curves
            short = max(0.0, USEFUL_BAND - band) / USEFUL_BAND
            return abs(math.log((w / cols) / (h / rows) / 1.6)) + 100.0 * cut + 10.0 * short

        cols = min(range(1, n + 1), key=badness)
        rows = math.ceil(n / cols)
        compact = h / rows < COMPACT_BELOW
        key = (cols, n, compact)
        if key == self._arrangement:
            self._fit_titles(plots, cols, compact, w - (cols - 1) * gap_x - 4, fm)
            return
        self._arrangement = key
        for item in (self.legend, self.epoch_plot, self.acc_plot, self.step_plot):
            if item.scene() is not None:
                self.plots.removeItem(item)
        free = rows * cols > n
        top = 0 if free else 1
        for i, p in enumerate(plots):
            self.plots.addItem(p, row=top + i // cols, col=i % cols)
            for name in ("bottom", "left"):
                p.getAxis(name).showLabel(not compact)
        self._fit_titles(plots, cols, compact, w - (cols - 1) * gap_x - 4, fm)
        if free:  # the first free cell (and the rest of its row)
            self.plots.addItem(self.legend, row=n // cols, col=n % cols, colspan=cols - n % cols)
            self.plots.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignCenter)
        else:
            self.plots.addItem(self.legend, row=0, col=0, colspan=cols)
        self.legend.set_stacked(free)
        self.acc_plot.setVisible(n == 3)
        refit(self.plots)

    def _fit_titles(
        self, plots: list[pg.PlotItem], cols: int, compact: bool, width: float, fm: QFontMetricsF
    ) -> None:
        """Give each plot its title (:meth:`_title`), cut short with "…" where even that is wider than
        the data area under it: ``width`` (pixels) shared by ``cols`` columns, less the plot's left
        axis. Only a very small dock needs that (three plots side by side in 350 pixels at 150 %); such a
        title does not widen its plot, which would push the last one past the dock's edge."""
        for p in plots:
            title = self._title(p, compact)
            axis = p.getAxis("left")
            room = width / cols - (axis.width() if axis.isVisible() else 0.0)
            text = title
            if fm.horizontalAdvance(title) > room:  # (the text itself: a title may reach into the margins)
                text = fm.elidedText(title, Qt.TextElideMode.ElideRight, max(room, 0.0))
            if p._bp_title[0] != text:
                set_title(p, text, loose=text != title or p._bp_title[2])
                p.titleLabel.setToolTip(title if text != title else "")

    def _title(self, plot: pg.PlotItem, compact: bool) -> str:
        """The plot's title: its whole one, or in a low cell the short one."""
        title = self._long_titles[plot]
        return SHORT_TITLES.get(title, title) if compact else title

    def _symbol(self) -> str | None:
        return "o" if self._epoch_x.size <= 30 else None

    def _set_log(self, on: bool) -> None:
        self.epoch_plot.setLogMode(y=on)
        self.step_plot.setLogMode(y=on)
        release_axes(self.epoch_plot, self.step_plot)
        self.redraw()

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        header = ["update", "batch_loss", f"batch_loss_smoothed_{self.smoothing_window}", "epoch"]
        cols = [
            self._ends,
            self._steps,
            trailing_mean(self._steps, self._ends, self.smoothing_window),
            self._epoch_x.astype(int),
        ]
        # a large training set's loss is its subsample's (TrainConfig.train_eval): the column says so,
        # or when that changed during the history, a column of each epoch's number of samples
        k, n, since = self._train_basis()
        sub = f"_on_{k}_of_{n}" if k < n and since is None else ""
        for sp in SPLITS:
            header.append(f"{sp}_loss" + (sub if sp == "train" else ""))
            cols.append(self._epochs.get(sp, np.zeros(0)))
        for sp in SPLITS:
            header.append(f"{sp}_accuracy" + (sub if sp == "train" else ""))
            cols.append(self._acc.get(sp, np.zeros(0)))
        h = self._history()
        if since is not None and h is not None:
            per_epoch = h.train_samples()[: self._epoch_x.size]
            header.append("train_samples")  # the loss and accuracy of that row's epoch are of these
            cols.append(np.array([None if b is None else b[0] for b in per_epoch], dtype=object))
        return header, cols
