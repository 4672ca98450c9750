"""The training room of the studio window: docks, the Train menu, the training toolbar and keys.

:func:`install` is called by the MainWindow while it is built (``window.training``). It adds

* docks: Training settings and Dataset (left), Decision boundary / Gradients & weights and Loss
  (right), the δ/Δw table (bottom);
* actions (Train menu and toolbar): Next Stage (F6), Step Sample (F7), Step Batch (F8), Step Epoch
  (F9), Run/Pause (Space), a speed control, Undo Step (Ctrl+Backspace) and Reset Weights;
* a status line with the epoch, the loss and the training speed.

Training runs in the background (:class:`~bpstudio.app.training.runner.TrainingRunner`); closing the window
first stops a run, so the unsaved-changes prompt sees the final weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QComboBox, QStyle

from ...teaching.presenter import NOTATION_KEYS
from ..changes import Change
from ..data.panel import DatasetPanel
from ..plots.boundary import BoundaryPlotPanel
from ..plots.grads import GradientPlotPanel
from ..plots.landscape import LandscapePanel
from ..plots.loss import LossPlotPanel
from ..screen_fit import ElidedLabel
from ..table.view import TraceTablePanel
from .gradcheck_dialog import GradientCheckDialog
from .runner import SPEEDS, TrainingRunner
from .settings_panel import SettingsPanel

if TYPE_CHECKING:
    from ..lazy_panel import LazyPanel
    from ..main_window import MainWindow

SHORTCUTS = {
    "micro_step": "F6",
    "step_sample": "F7",
    "step_batch": "F8",
    "step_epoch": "F9",
    "run": "Space",
    "undo_step": "Ctrl+Backspace",
    "gradient_check": "Ctrl+Shift+G",
}


class TrainingRoom(QObject):
    """The training room of one window: the runner, the panels and the actions."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = s = window.session
        self.runner = TrainingRunner(s, self)
        self.settings_panel = SettingsPanel(s)
        self.dataset_panel = DatasetPanel(s)
        self.table_panel = TraceTablePanel(s)
        self.loss_panel = LossPlotPanel(s)
        # built when their docks are first shown (install; see bpstudio.app.lazy_panel)
        self._lazy: dict[str, LazyPanel[Any]] = {}
        self.actions: dict[str, QAction] = {}
        self.gradcheck_dialog: GradientCheckDialog | None = None
        self._tips: dict[str, str] = {}
        self._make_actions()
        self.speed_box = QComboBox()
        self.speed_box.setObjectName("speedBox")
        self.speed_box.setToolTip(
            "Training speed: steps per second (each step's δ/Δw shows in the table at 25 steps/s or "
            "slower), or full speed (the engine's fast loop; plots update about 15 times a second)"
        )
        for label, value in SPEEDS:
            self.speed_box.addItem(label, value)
        self.speed_box.setCurrentIndex(self.speed_box.count() - 1)
        self.speed_box.currentIndexChanged.connect(
            lambda _i: self.runner.set_speed(self.speed_box.currentData())
        )
        self.status = ElidedLabel()
        self.status.setObjectName("trainingStatus")

        self._can_undo = False
        s.stepUndoAvailable.connect(self._undo_available)
        s.runningChanged.connect(lambda _r: self.update_actions())
        s.changed.connect(self._changed)
        s.viewChanged.connect(lambda key: self.update_status() if key in NOTATION_KEYS else None)
        self.runner.progress.connect(lambda _u: self.update_status())
        self.update_actions()
        self.update_status()

    @property
    def boundary_panel(self) -> BoundaryPlotPanel:
        """The Decision Boundary panel (built now if its dock has not been shown yet)."""
        return self._lazy["boundary"].get()

    @property
    def gradient_panel(self) -> GradientPlotPanel:
        """The Gradients and Weights panel (built now if its dock has not been shown yet)."""
        return self._lazy["gradients"].get()

    @property
    def landscape_panel(self) -> LandscapePanel:
        """The Loss Landscape panel (built now if its dock has not been shown yet)."""
        return self._lazy["landscape"].get()

    def _undo_available(self, available: bool) -> None:
        self._can_undo = bool(available)
        self.update_actions()

    def shutdown(self) -> None:
        """Stop a run and wait for the worker (window closing, application quitting)."""
        self.runner.stop(wait=True)

    # ------------------------------------------------------------------ actions
    def _action(
        self, key: str, text: str, slot, tip: str, icon: QStyle.StandardPixmap | None = None
    ) -> QAction:
        a = QAction(text, self.window)
        a.setObjectName(f"action_{key}")
        shortcut = SHORTCUTS.get(key)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            tip = f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
        if icon is not None:
            a.setIcon(self.window.style().standardIcon(icon))
        a.setToolTip(tip)
        a.setStatusTip(tip)
        self._tips[key] = tip
        a.triggered.connect(lambda _checked=False: slot())
        self.actions[key] = a
        return a

    def _make_actions(self) -> None:
        s = self.session
        SP = QStyle.StandardPixmap
        self._action(
            "micro_step",
            "Next &Stage",
            s.micro_step,
            "Compute the next stage of the current step: forward one layer, the loss, backward one "
            "layer, or the update",
            SP.SP_ArrowRight,
        )
        self._action(
            "step_sample",
            "Step S&ample",
            s.step_sample,
            "Forward and backward on the next sample",
            SP.SP_MediaSeekForward,
        )
        self._action(
            "step_batch", "Step &Batch", s.step_batch, "One update on the next batch", SP.SP_MediaSkipForward
        )
        self._action(
            "step_epoch", "Step &Epoch", s.step_epoch, "Train the rest of this epoch", SP.SP_MediaSkipForward
        )
        run = self._action(
            "run",
            "&Run",
            self.runner.toggle,
            "Train in the background for the settings' number of epochs; press again to pause",
            SP.SP_MediaPlay,
        )
        run.setCheckable(True)
        self._action(
            "undo_step",
            "&Undo Step",
            s.undo_step,
            "Go back to before the last step or run: weights, optimiser state and history",
            SP.SP_ArrowBack,
        )
        self._action(
            "reset_weights",
            "Reset &Weights",
            lambda: s.reset_weights(),
            "Draw new weights with the settings' initialiser and seed, and start training afresh",
            SP.SP_BrowserReload,
        )
        self._action(
            "gradient_check",
            "&Gradient Check…",
            self.gradient_check,
            "Compare backpropagation's gradient with central differences for every weight and bias",
        )

    def gradient_check(self) -> GradientCheckDialog:
        """Train ▸ Gradient Check: open (or bring back) the dialog, for the network as it is now."""
        if self.gradcheck_dialog is None:
            self.gradcheck_dialog = GradientCheckDialog(self.session, self.window)
        dialog = self.gradcheck_dialog
        if not dialog.task.running:
            dialog._prepare()
        if dialog.isVisible():  # behind the window: bring it to the front
            dialog.raise_()
            dialog.activateWindow()
        else:
            dialog.show()
        return dialog

    def _changed(self, change: Change) -> None:
        if change & (Change.SHAPE | Change.DATASET | Change.LOCKED):
            self.update_actions()
        # a fixed dataset or new settings can make training possible (or not): always re-read
        self.update_status()

    def update_actions(self) -> None:
        s = self.session
        running = s.running
        locked = s.locked
        can_train = s.trainer is not None and not locked
        for key in LOCKABLE:  # while locked they are greyed out and their tooltip says why
            tip = self._tips[key]
            self.actions[key].setToolTip(f"{tip}\n\nUnavailable now. {locked}" if locked else tip)
        for key in ("micro_step", "step_sample", "step_batch", "step_epoch"):
            self.actions[key].setEnabled(can_train and not running)
        run = self.actions["run"]
        run.setEnabled(can_train or running)
        run.blockSignals(True)
        run.setChecked(running)
        run.blockSignals(False)
        run.setText("&Pause" if running else "&Run")
        run.setIcon(
            self.window.style().standardIcon(
                QStyle.StandardPixmap.SP_MediaPause if running else QStyle.StandardPixmap.SP_MediaPlay
            )
        )
        self.actions["undo_step"].setEnabled(not running and not locked and self._can_undo)
        self.actions["reset_weights"].setEnabled(not running and not locked)
        # the check shows every ∂E/∂θ: not while an exercise hides the numbers
        self.actions["gradient_check"].setEnabled(not locked)
        if locked and self.gradcheck_dialog is not None:
            self.gradcheck_dialog.reject()

    def update_status(self) -> None:
        s = self.session
        tr = s.trainer
        if tr is None:
            self.status.setText("Cannot train yet" if s.trainer_problem else "")
            self.status.setToolTip(s.trainer_problem)
            return
        parts = [f"epoch {tr.epoch}", f"update {tr.step_count}"]
        h = tr.history
        if h.loss["train"] and h.loss["train"][-1] is not None:
            parts.append(f"loss {h.loss['train'][-1]:.4g}")
        if h.accuracy["train"] and h.accuracy["train"][-1] is not None:
            parts.append(f"accuracy {h.accuracy['train'][-1]:.1%}")
        if s.running and self.runner.samples_per_second:
            parts.append(f"{self.runner.samples_per_second:,.0f} samples/s")
        if tr.config.dtype != "float64":  # runs round the weights: say so where the numbers are
            parts.append(f"runs in {tr.config.dtype}")
        elif s.micro is not None and s.micro.next_stage:
            parts.append(f"next stage: {s.names.stage(s.micro.next_stage)}")
        self.status.setText(" · ".join(parts))
        self.status.setToolTip("")


#: the actions a locked project (an exercise, practice) refuses: disabled, with the reason in their tooltip
LOCKABLE = (
    "micro_step",
    "step_sample",
    "step_batch",
    "step_epoch",
    "run",
    "undo_step",
    "reset_weights",
    "gradient_check",
)


class _CloseGuard(QObject):
    """Stops a run before the window handles its close (so the save prompt sees the final state)."""

    def __init__(self, runner: TrainingRunner, parent: QObject) -> None:
        super().__init__(parent)
        self.runner = runner

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and self.runner.running:
            self.runner.stop(wait=True)
        return False


def install(window: MainWindow) -> TrainingRoom:
    """Add the training room's docks, menu, toolbar and close handling to ``window``."""
    ws = TrainingRoom(window)
    A = Qt.DockWidgetArea
    _dock = window.add_dock
    settings = _dock(ws.settings_panel, "Training Settings", A.LeftDockWidgetArea, "trainingSettingsDock")
    dataset = _dock(ws.dataset_panel, "Dataset", A.LeftDockWidgetArea, "datasetDock")
    window.tabifyDockWidget(settings, dataset)
    settings.raise_()
    table = _dock(ws.table_panel, "δ / Δw Table", A.BottomDockWidgetArea, "traceTableDock")
    s, lazy = ws.session, ws._lazy
    lazy["boundary"] = window.add_lazy_dock(
        lambda: BoundaryPlotPanel(s), "Decision Boundary", A.RightDockWidgetArea, "boundaryDock"
    )
    boundary = lazy["boundary"].dock
    loss = _dock(ws.loss_panel, "Loss", A.RightDockWidgetArea, "lossDock")
    window.splitDockWidget(boundary, loss, Qt.Orientation.Vertical)
    lazy["gradients"] = window.add_lazy_dock(
        lambda: GradientPlotPanel(s), "Gradients and Weights", A.RightDockWidgetArea, "gradientsDock"
    )
    grads = lazy["gradients"].dock
    window.tabifyDockWidget(boundary, grads)
    lazy["landscape"] = window.add_lazy_dock(
        lambda: LandscapePanel(s), "Loss Landscape", A.RightDockWidgetArea, "landscapeDock"
    )
    landscape = lazy["landscape"].dock
    window.tabifyDockWidget(boundary, landscape)
    boundary.raise_()
    ws.docks = {
        "settings": settings,
        "dataset": dataset,
        "table": table,
        "loss": loss,
        "boundary": boundary,
        "gradients": grads,
        "landscape": landscape,
    }
    for dock, catch_up in ((table, ws.table_panel.shown), (loss, ws.loss_panel.throttle.shown)):
        dock.visibilityChanged.connect(lambda visible, f=catch_up: f() if visible else None)
    for key in ("boundary", "gradients"):  # built when first shown (drawn then), caught up later
        lazy[key].when_built(
            lambda panel, dock=lazy[key].dock: dock.visibilityChanged.connect(
                lambda visible: panel.throttle.shown() if visible else None
            )
        )

    menu = window.menus["train"]
    bar = window.toolbars["train"]
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    if window.toolBarArea(bar) == Qt.ToolBarArea.TopToolBarArea:
        window.insertToolBarBreak(bar)  # a row of its own: the step buttons carry their names
    a = ws.actions
    for key in ("micro_step", "step_sample", "step_batch", "step_epoch"):
        menu.addAction(a[key])
    menu.addSeparator()
    menu.addAction(a["run"])
    menu.addSeparator()
    menu.addAction(a["undo_step"])
    menu.addAction(a["reset_weights"])
    menu.addSeparator()
    menu.addAction(a["gradient_check"])
    for key in ("micro_step", "step_sample", "step_batch", "step_epoch"):
        bar.addAction(a[key])
    bar.addSeparator()
    bar.addAction(a["run"])
    bar.addWidget(ws.speed_box)
    bar.addSeparator()
    bar.addAction(a["undo_step"])
    bar.addAction(a["reset_weights"])
    # epoch, update, loss, speed: in the status bar, where it has room on every screen
    window.statusBar().insertPermanentWidget(0, ws.status)

    guard = _CloseGuard(ws.runner, ws)
    window.installEventFilter(guard)
    ws.close_guard = guard
    window.close_hooks.append(lambda: (ws.shutdown(), True)[1])
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(ws.shutdown)
    return ws
