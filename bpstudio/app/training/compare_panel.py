"""The Compare Runs dock (issue 15.3): up to four variants of the project's settings, made from the
network as it is (:mod:`bpstudio.compare`), trained side by side in the background from the same
start, their loss and accuracy curves overlaid, their paths drawn on the loss landscape, and each one
opened as a project of its own. The runs are saved with the project.

Training goes round the runs an epoch each, so their curves grow together; every tenth of a second
the worker sends the runs as they stand (immutable records) and the Session, the only writer, takes
them (:meth:`Session.update_runs`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...compare import MAX_RUNS, describe, run_project
from ...engine import ACTIVATIONS, OPTIMISERS, DivergenceError, EngineError
from ...engine.config import BATCH_MODES
from ...formats import RunRecord
from ...workspace import trainer_for, update_project
from ..changes import Change
from ..dialogs import ok_cancel, run_modal
from ..flow_layout import FlowBar, FlowLayout
from ..plots.axes import LegendRow
from ..plots.common import (
    COLOURS,
    ExportButton,
    as_float_array,
    for_log_axis,
    make_plot_widget,
    on_resize,
    plottable,
    refit,
    release_axes,
    reset_when_empty,
    set_title,
    style_plot,
    title_width,
)
from .background import BackgroundTask, TaskState

if TYPE_CHECKING:
    from ..lazy_panel import LazyPanel
    from ..main_window import MainWindow
    from ..session import Session

#: a run's path on the loss landscape is kept for networks of at most this many parameters
MAX_PATH_PARAMETERS = 20_000
#: at most this many points of a run's path are kept (then every other one goes)
MAX_PATH_POINTS = 500
#: seconds between two reports of the runs while they train
REPORT_EVERY = 0.1
NAMES = "ABCD"
#: the loss plot's title, as long as the width of its data area allows
LOSS_TITLES = (
    "Loss per epoch (solid: training, dashed: validation)",
    "Loss (solid: training, dashed: validation)",
    "Loss (solid: train, dashed: val)",
    "Loss per epoch",
)


@dataclass(frozen=True)
class RunsReport:
    """The runs as they stand while training (immutable: crosses from the worker to the window)."""

    token: int
    runs: tuple[RunRecord, ...]
    paths: dict[str, tuple[np.ndarray, ...]]
    problems: dict[str, str]
    stopped: bool = False  # Stop was pressed: the runs keep the epochs they trained


class RunDialog(QDialog):
    """Add Run: a name and the settings that differ from the project's (prefilled with its own)."""

    def __init__(self, session: Session, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add Run")
        self.setObjectName("runDialog")
        cfg = session.config
        net = session.network
        self.base = cfg
        self.base_activation = net.activations[0] if net.n_layers > 1 else None
        self.name_edit = QLineEdit(name)
        self.name_edit.setMaxLength(80)
        self.optimiser = QComboBox()
        for opt in OPTIMISERS:
            self.optimiser.addItem(opt.label, opt.name)
        self.optimiser.setCurrentIndex(self.optimiser.findData(cfg.optimiser))
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(6)
        self.lr.setRange(1e-6, 100.0)
        self.lr.setValue(float(cfg.optimiser_params.get("lr", 0.1)))
        self.batch_mode = QComboBox()
        for mode in BATCH_MODES:
            self.batch_mode.addItem(mode, mode)
        self.batch_mode.setCurrentIndex(self.batch_mode.findData(cfg.batch_mode))
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1_000_000)
        self.batch_size.setValue(cfg.batch_size)
        self.activation = QComboBox()
        for act in ACTIVATIONS:
            if act.elementwise:  # (softmax only at the output)
                self.activation.addItem(act.label, act.name)
        if self.base_activation is not None:
            self.activation.setCurrentIndex(self.activation.findData(self.base_activation))
        self.activation.setEnabled(self.base_activation is not None)
        self.reseed = QCheckBox("Draw new start weights with seed")
        self.seed = QSpinBox()
        self.seed.setRange(0, 999_999)
        self.seed.setValue(cfg.seed + 1)
        self.seed.setEnabled(False)
        self.reseed.toggled.connect(self.seed.setEnabled)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.reseed)
        seed_row.addWidget(self.seed)
        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Optimiser:", self.optimiser)
        form.addRow("&Learning rate η:", self.lr)
        form.addRow("&Batch:", self.batch_mode)
        form.addRow("Batch &size:", self.batch_size)
        form.addRow("&Hidden activation:", self.activation)
        form.addRow("Start:", seed_row)
        note = QLabel(
            "Every run starts from the network as it is now (or from new weights drawn with the seed) "
            "and trains on the project's data. Settings left as they are stay the project's."
        )
        note.setWordWrap(True)
        buttons = ok_cancel(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.batch_mode.currentIndexChanged.connect(self._batch_mode_changed)
        self._batch_mode_changed()

    def _batch_mode_changed(self, *_args) -> None:
        self.batch_size.setEnabled(self.batch_mode.currentData() == "minibatch")

    def name(self) -> str:
        return self.name_edit.text().strip()

    def changes(self) -> dict[str, Any]:
        """The settings that differ from the project's."""
        cfg = self.base
        out: dict[str, Any] = {}
        if self.optimiser.currentData() != cfg.optimiser:
            out["optimiser"] = self.optimiser.currentData()
        if self.lr.value() != float(cfg.optimiser_params.get("lr", 0.1)) or "optimiser" in out:
            out["lr"] = self.lr.value()
        if self.batch_mode.currentData() != cfg.batch_mode:
            out["batch_mode"] = self.batch_mode.currentData()
        if self.batch_mode.currentData() == "minibatch" and self.batch_size.value() != cfg.batch_size:
            out["batch_size"] = self.batch_size.value()
        if self.base_activation is not None and self.activation.currentData() != self.base_activation:
            out["activation"] = self.activation.currentData()
        if self.reseed.isChecked():
            out["seed"] = self.seed.value()
        return out


class CompareRunsPanel(QWidget):
    """See the module docstring."""

    COLUMNS = ("Run", "Changes", "Epochs", "Loss", "Accuracy")

    def __init__(
        self, session: Session, window: MainWindow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compareRunsPanel")
        self.session = session
        self.window_ = window
        self.problems: dict[str, str] = {}
        #: what the last training of the runs came to ("" when there is nothing to say)
        self.status = ""
        self._token = 0
        self.task = BackgroundTask("runs", self)
        self.task.partial.connect(self._report)
        self.task.finished.connect(self._done)
        self.task.failed.connect(self._failed)

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("runsTable")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(20)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.add_button = QPushButton("&Add Run…")
        self.add_button.setObjectName("addRun")
        self.add_button.setToolTip("A variant of the current settings, from the network as it is now")
        self.add_button.clicked.connect(self.add_run)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(self.remove_run)
        self.open_button = QPushButton("&Open as Project")
        self.open_button.setObjectName("openRun")
        self.open_button.setToolTip(
            "Open the selected run as a project of its own (to go on with it or save it)"
        )
        self.open_button.clicked.connect(self.open_run)
        self.epochs = QSpinBox()
        self.epochs.setObjectName("runEpochs")
        self.epochs.setRange(1, 1_000_000)
        self.epochs.setValue(100)
        self.epochs.setSuffix(" epochs")
        self.train_button = QPushButton("&Train")
        self.train_button.setObjectName("trainRuns")
        self.train_button.setToolTip("Train every run this many more epochs, side by side, in the background")
        self.train_button.clicked.connect(self.toggle_training)
        self.log_box = QCheckBox("Log scale")
        self.log_box.setChecked(True)
        self.log_box.toggled.connect(self._set_log)
        self.export_button = ExportButton(self, lambda: self.plots.scene(), self.csv_data, "runs")
        row = FlowLayout()  # two short rows (wrapping): the dock shares a small corner of a lab screen
        for w in (self.add_button, self.remove_button, self.open_button):
            row.addWidget(w)
        row.addStretch(1)
        row2 = FlowLayout()
        for w in (self.epochs, self.train_button):
            row2.addWidget(w)
        row2.addStretch(1)
        for w in (self.log_box, self.export_button):
            row2.addWidget(w)
        self.message = QLabel("")
        self.message.setObjectName("runsMessage")
        self.message.setWordWrap(True)

        self.plots = make_plot_widget()
        self.plots.setMinimumHeight(280)
        self.legend = LegendRow()
        self.plots.addItem(self.legend, row=0, col=0)
        self.loss_plot = self.plots.addPlot(row=1, col=0)
        style_plot(self.loss_plot, LOSS_TITLES[0], "epoch", "loss")
        self.loss_plot.setLogMode(y=True)
        self.acc_plot = self.plots.addPlot(row=2, col=0)
        self._side_by_side = False
        style_plot(self.acc_plot, "Accuracy per epoch", "epoch", "accuracy")
        self.curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem, pg.PlotDataItem]] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(FlowBar(row))
        layout.addWidget(FlowBar(row2))
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        layout.addWidget(self.plots, 1)
        session.changed.connect(self._changed)
        session.runningChanged.connect(lambda _r: self._update_buttons())
        on_resize(self.plots, self._fit_title, self.loss_plot)
        self.refresh()

    # ------------------------------------------------------------------ following the session
    def _changed(self, change: Change) -> None:
        if change & Change.PROJECT:
            self.cancel()
            self.problems = {}
            self.status = ""
        if change & (Change.RUNS | Change.PROJECT | Change.LOCKED | Change.DATASET):
            self.refresh()

    def refresh(self) -> None:
        runs = self.session.runs
        self.table.setRowCount(len(runs))
        for i, run in enumerate(runs):
            h = run.history
            loss = h.loss["train"][-1] if h is not None and h.loss["train"] else None
            acc = h.accuracy["train"][-1] if h is not None and h.accuracy["train"] else None
            epochs = h.epochs[-1] if h is not None and h.epochs else 0
            problem = self.problems.get(run.name, "")
            cells = (
                run.name,
                describe(run.changes) or "the project's settings",
                str(epochs),
                ("stopped: " if problem else "") + ("–" if loss is None else f"{loss:.4g}"),
                "–" if acc is None else f"{acc:.1%}",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setForeground(pg.mkColor(COLOURS[i % len(COLOURS)]))
                if c in (2, 3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(f"{text}\n{problem}" if problem else text)
                self.table.setItem(i, c, item)
        self.table.setFixedHeight(
            self.table.horizontalHeader().height()
            + self.table.verticalHeader().defaultSectionSize() * max(len(runs), 1)
            + 2 * self.table.frameWidth()
        )
        if not runs:
            self.message.setText(
                f"Add up to {MAX_RUNS} runs that differ in the optimiser, η, the batch, the hidden "
                "activation or the start weights; train them side by side and compare their curves "
                "(and their paths on the Loss Landscape)."
            )
        elif not self.task.running and not self.status:
            self.message.setText(
                "Train the runs to compare them; each one opens as a project of its own. "
                "The runs are saved with the project."
            )
        else:
            self.message.setText(self.status)
        self._draw()
        self._update_buttons()

    def _update_buttons(self) -> None:
        s = self.session
        busy = self.task.running
        editable = not s.locked and not busy
        selected = self.selected()
        self.add_button.setEnabled(editable and len(s.runs) < MAX_RUNS)
        self.remove_button.setEnabled(editable and selected is not None)
        self.open_button.setEnabled(editable and selected is not None and not s.running)
        self.train_button.setEnabled(bool(s.runs) and not s.locked and (busy or s.trainer is not None))
        self.train_button.setText("&Stop" if busy else "&Train")
        self.epochs.setEnabled(not busy)

    def selected(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        return None

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """The accuracy beside the loss in a wide dock, under it in a narrow one."""
        super().resizeEvent(event)
        wide = self.plots.width() > 1.6 * max(self.plots.height(), 1)
        if wide != self._side_by_side:
            self._side_by_side = wide
            self.plots.removeItem(self.legend)
            self.plots.removeItem(self.acc_plot)
            self.plots.addItem(self.legend, row=0, col=0, colspan=2 if wide else 1)
            self.plots.addItem(self.acc_plot, row=1 if wide else 2, col=1 if wide else 0)
            self.plots.setMinimumHeight(160 if wide else 280)
            refit(self.plots)

    def _fit_title(self) -> None:
        """The longest loss title that fits over the plot's data area (pyqtgraph would cut it)."""
        vb = self.loss_plot.vb  # (the plot may reach past the widget's edge: the part that shows)
        room = min(vb.width(), self.plots.width() - vb.sceneBoundingRect().left()) - 4
        if room <= 0:
            return
        title = next((t for t in LOSS_TITLES if title_width(self.loss_plot, t) <= room), LOSS_TITLES[-1])
        if title != self.loss_plot._bp_title[0]:  # type: ignore[attr-defined]
            set_title(self.loss_plot, title)

    # ------------------------------------------------------------------ the plots
    def _draw(self) -> None:
        runs = self.session.runs
        while len(self.curves) > len(runs):
            train, val, acc = self.curves.pop()
            self.loss_plot.removeItem(train)
            self.loss_plot.removeItem(val)
            self.acc_plot.removeItem(acc)
        while len(self.curves) < len(runs):
            i = len(self.curves)
            colour = COLOURS[i % len(COLOURS)]
            train = self.loss_plot.plot(pen=pg.mkPen(colour, width=2))
            val = self.loss_plot.plot(pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine))
            acc = self.acc_plot.plot(pen=pg.mkPen(colour, width=2))
            self.curves.append((train, val, acc))
        log = self.log_box.isChecked()
        for run, (train, val, acc) in zip(runs, self.curves):
            h = run.history
            if h is None or not h.epochs:
                for c in (train, val, acc):
                    c.setData([], [])
                continue
            x = np.asarray(h.epochs, dtype=float)
            for curve, values in ((train, h.loss["train"]), (val, h.loss["val"])):
                y = as_float_array(values)
                curve.setData(x, for_log_axis(y) if log else plottable(y), connect="finite")
            acc.setData(x, plottable(as_float_array(h.accuracy["train"])), connect="finite")
        self.legend.set_entries(
            [
                (COLOURS[i % len(COLOURS)], f"{r.name}: {describe(r.changes) or 'the project’s settings'}")
                for i, r in enumerate(runs)
            ]
        )
        reset_when_empty(self.loss_plot)
        reset_when_empty(self.acc_plot)

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        release_axes(self.loss_plot)
        self._draw()

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        """Per run: its epochs, training and validation loss and training accuracy."""
        header: list[str] = []
        columns: list[np.ndarray] = []
        for run in self.session.runs:
            h = run.history
            header += [
                f"{run.name}_epoch",
                f"{run.name}_train_loss",
                f"{run.name}_val_loss",
                f"{run.name}_accuracy",
            ]
            if h is None:
                columns += [np.zeros(0)] * 4
                continue
            columns += [
                np.asarray(h.epochs, dtype=np.int64),
                as_float_array(h.loss["train"]),
                as_float_array(h.loss["val"]),
                as_float_array(h.accuracy["train"]),
            ]
        return header, columns

    # ------------------------------------------------------------------ actions
    def add_run(self) -> RunRecord | None:
        """Add Run…: the dialog, then the run (from the network as it is now)."""
        s = self.session
        taken = {r.name for r in s.runs}
        name = next((f"Run {c}" for c in NAMES if f"Run {c}" not in taken), f"Run {len(taken) + 1}")
        dialog = RunDialog(s, name, self)
        if not run_modal(dialog):
            return None
        run = s.add_run(dialog.name(), dialog.changes())
        if run is not None:
            self.table.selectRow(len(s.runs) - 1)
        return run

    def remove_run(self) -> bool:
        i = self.selected()
        return i is not None and self.session.remove_run(i)

    def open_run(self) -> bool:
        """Open as Project: the selected run becomes the open project (after asking to save changes)."""
        i = self.selected()
        if i is None or self.window_ is None:
            return False
        project = self.session.run_as_project(i)
        if not self.window_.documents.maybe_save():
            return False
        self.session.set_project(self.window_.documents.prepare(project))
        self.session.statusMessage.emit(f"Opened run “{project.name}” as a new project: save it to keep it")
        return True

    def toggle_training(self) -> None:
        if self.task.running:
            self.task.cancel()  # Stop: the runs keep what they trained (the last report says)
        else:
            self.train()

    def cancel(self) -> None:
        """Stop training and forget what it trained (another project was opened)."""
        if self.task.running:
            self.task.cancel()
            self._token += 1  # reports still on their way are for runs no longer shown

    def train(self, epochs: int | None = None) -> bool:
        """Train every run ``epochs`` (default: the box's) more epochs in the background."""
        s = self.session
        if self.task.running or not s.runs:
            return False
        if s.trainer is None:
            self.message.setText(f"Cannot train: {s.trainer_problem or 'no training data'}")
            return False
        s.sync_project()
        epochs = self.epochs.value() if epochs is None else int(epochs)
        base = s.project
        runs = list(s.runs)
        base_dir = s.path.parent if s.path is not None else None
        self._token += 1
        token = self._token
        keep_paths = sum(p.size for p in s.network.parameters()) <= MAX_PATH_PARAMETERS

        def work(state: TaskState) -> RunsReport:
            return train_side_by_side(state, token, base, runs, epochs, base_dir, keep_paths)

        self.problems = {}
        s.set_runs_busy(True)
        self.status = f"Training {len(runs)} runs {epochs:,} epochs each, side by side…"
        self.message.setText(self.status)
        self.task.start(work)
        self._update_buttons()
        return True

    def _report(self, report: RunsReport) -> None:
        if report.token != self._token:
            return
        self.problems.update(report.problems)
        self.session.update_runs(
            list(report.runs), {k: list(v) for k, v in report.paths.items()}, MAX_PATH_POINTS
        )
        self.task.resume()

    def _done(self, report: RunsReport) -> None:
        self.session.set_runs_busy(False)
        if report.token == self._token:
            self._report(report)
            trouble = "; ".join(f"{k}: {v}" for k, v in report.problems.items())
            done = "Stopped: the runs keep the epochs they trained." if report.stopped else "Done."
            self.status = done + (f" {trouble}" if trouble else "")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.session.set_runs_busy(False)
        reason = str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
        self.status = f"Could not train the runs: {reason[:300]}"
        self.refresh()


def train_side_by_side(
    state: TaskState,
    token: int,
    base: Any,
    runs: list[RunRecord],
    epochs: int,
    base_dir: Path | None,
    keep_paths: bool,
) -> RunsReport:
    """The worker: each run's trainer on the project's data; an epoch of each in turn until each has
    trained ``epochs`` more (or stopped: divergence, early stopping, target loss); a report every
    :data:`REPORT_EVERY` seconds and at the end."""
    trainers = []
    for run in runs:
        p = run_project(base, run)
        trainer, _data = trainer_for(p, base_dir)
        trainers.append((run, p, trainer, trainer.epoch + epochs))
    active = [True] * len(trainers)
    problems: dict[str, str] = {}
    paths: dict[str, list[np.ndarray]] = {run.name: [] for run in runs}
    last = time.perf_counter()

    def report(stopped: bool = False) -> RunsReport:
        records = []
        for run, p, trainer, _goal in trainers:
            update_project(p, trainer)
            records.append(
                RunRecord(
                    run.name,
                    dict(run.changes),
                    p.network,
                    p.training,
                    p.optimiser_state,
                    p.progress,
                    p.history,
                )
            )
        out = {k: tuple(v) for k, v in paths.items()}
        for v in paths.values():
            v.clear()
        return RunsReport(token, tuple(records), out, dict(problems), stopped)

    while any(active) and not state.cancelled:
        for i, (run, _p, trainer, goal) in enumerate(trainers):
            if not active[i]:
                continue
            try:
                result = trainer.run(epochs=1)
            except DivergenceError as exc:
                problems[run.name] = str(exc)
                active[i] = False
                continue
            if keep_paths:
                paths[run.name].append(np.concatenate([q.ravel() for q in trainer.network.parameters()]))
            if trainer.epoch >= goal or result.reason in ("early_stopping", "target"):
                active[i] = False
                if result.reason != "epochs":
                    problems[run.name] = result.reason.replace("_", " ")
        if time.perf_counter() - last >= REPORT_EVERY and any(active):
            state.send(report(), wait=True)
            last = time.perf_counter()
    return report(stopped=state.cancelled)


def install(window: MainWindow) -> LazyPanel[CompareRunsPanel]:
    """The Compare Runs dock, as a tab beside the Loss Landscape (its panel built when first shown:
    :mod:`bpstudio.app.lazy_panel`), and Train ▸ Compare Runs."""
    room = window.training
    lazy = window.add_lazy_dock(
        lambda: CompareRunsPanel(window.session, window),
        "Compare Runs",
        Qt.DockWidgetArea.RightDockWidgetArea,
        "compareRunsDock",
    )
    dock = lazy.dock
    window.tabifyDockWidget(room.docks["landscape"], dock)
    room.docks["boundary"].raise_()
    room.docks["compare"] = dock

    def show() -> None:
        dock.show()
        dock.raise_()

    action = window.menus["train"].addAction("&Compare Runs…")
    action.setObjectName("action_compare_runs")
    action.setShortcut("Ctrl+Shift+R")
    action.setToolTip("Train variants of the settings side by side from the same start and compare them")
    action.triggered.connect(show)
    window.addAction(action)
    if hasattr(window, "close_hooks"):
        window.close_hooks.append(lambda: (lazy.built is None or lazy.built.cancel(), True)[1])
    return lazy
