"""The studio window: the network canvas in the centre, dockable panels around it, menus and toolbars.

The window composes its parts explicitly::

    window.session                       # the Session every widget follows
    window.canvas, window.editor         # the NetworkView (its scene: window.canvas.network_scene)
    window.inspector, window.inspector_dock
    window.training                      # training/room.py: TrainingRoom (settings, data, table, plots)
    window.teaching                      # walkthrough/room.py: TeachingRoom (walkthrough, exercises)
    window.add_dock(widget, "Plots", Qt.DockWidgetArea.BottomDockWidgetArea, "plotsDock")
    window.menus["train"], window.toolbars["train"]   # hidden until an action is added
    window.documents.openers.append(fn)  # fn(path) -> bool: open other kinds of file
    window.close_hooks.append(fn)        # fn() -> bool, before closing (False cancels)
    window.autosaver                     # recovery.py: copies of unsaved work, offered after a crash
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from ..formats import portable_stem
from ..teaching.labels import DEFAULTS
from . import ui_scale
from .canvas.editor import CanvasEditor
from .canvas.inspector import Inspector
from .canvas.view import NetworkView
from .changes import Change
from .dialogs import run_modal, show_about
from .documents import Documents
from .help import install as install_help
from .lazy_panel import LazyPanel, P, Placeholder
from .panel_dock import PanelDock
from .preferences import PreferencesDialog, apply_preferences
from .presentation import Presentation
from .recovery import install as install_recovery
from .screen_fit import (
    ElidedLabel,
    ReadableDockTabs,
    ToolbarText,
    arrange_panels,
    is_compact,
    make_room_for_messages,
    place_window,
    scrollable,
)
from .session import Session
from .settings import AppSettings
from .theme import app_icon, apply_theme, icon
from .training.compare_panel import CompareRunsPanel
from .training.compare_panel import install as install_compare_runs
from .training.room import TrainingRoom
from .training.room import install as install_training
from .walkthrough.chainrule_panel import install as install_chain_rule
from .walkthrough.lesson_panel import install as install_lesson
from .walkthrough.room import TeachingRoom
from .walkthrough.room import install as install_teaching
from .window_menus import build_menus

APP_NAME = "Backprop Studio"


class MainWindow(QMainWindow):
    """One window on one Session."""

    def __init__(self, session: Session | None = None, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings or AppSettings(self)
        self.session = session or Session(parent=self)
        self.menus: dict = {}
        self.toolbars: dict = {}
        self.actions: dict[str, QAction] = {}
        self.docks: dict[str, QDockWidget] = {}
        #: called before the window closes (after the unsaved-changes prompt); one returning False cancels
        self.close_hooks: list[Callable[[], bool]] = []
        #: called after a saved layout was restored (a room hides panels with nothing to show)
        self.restore_hooks: list[Callable[[], None]] = []
        self._icon_actions: list[tuple[QAction, str]] = []
        self.setWindowIcon(app_icon())
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        # side panels run the full height; the bottom area (δ/Δw table) sits under the canvas only
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

        # the text size of the last session, before any widget is made (they take the font when made)
        ui_scale.apply(self.settings.text_size())
        self.presentation = Presentation(self)
        self.documents = Documents(self)
        self.documents.prepare(self.session.project)
        if session is None:  # the built-in example the app opens on
            self.documents.example_name = self.session.project.name
        self.canvas = NetworkView(self.session, self)
        self.setCentralWidget(self.canvas)
        self.editor = CanvasEditor(self.session, self.canvas, self)
        build_menus(self)
        self.inspector = Inspector(
            self.session, [self.editor.act_edit_value, self.editor.act_toggle_connection]
        )
        self.inspector_dock = self.add_dock(
            self.inspector, "Inspector", Qt.DockWidgetArea.RightDockWidgetArea, "inspectorDock"
        )
        self.resizeDocks([self.inspector_dock], [270], Qt.Orientation.Horizontal)

        self.summary = ElidedLabel()
        self.summary.setObjectName("networkSummary")
        self.statusBar().addPermanentWidget(self.summary)
        self.zoom_label = QLabel()
        self.statusBar().addPermanentWidget(self.zoom_label)
        make_room_for_messages(self.statusBar())
        self.canvas.zoomChanged.connect(lambda s: self.zoom_label.setText(f"{s:.0%}"))

        s = self.session
        s.dirtyChanged.connect(self.update_title)
        s.fileChanged.connect(self.update_title)
        s.changed.connect(self._changed)
        s.viewChanged.connect(self._sync_view_actions)
        s.statusMessage.connect(self.show_status)
        s.errorOccurred.connect(self.show_error)
        self.settings.changed.connect(self._on_setting)
        self._sync_view_actions()
        self._update_summary()
        self.update_title()
        self.training: TrainingRoom = install_training(self)
        self.teaching: TeachingRoom = install_teaching(self)
        self.chain_rule = install_chain_rule(self)
        self._compare_runs = install_compare_runs(self)
        self.lesson = install_lesson(self)
        install_help(self)
        self.autosaver = install_recovery(self)
        self.toolbar_text = ToolbarText(self)
        ui_scale.follow_font(self, self.toolbar_text.font_changed)
        self._dock_tabs = ReadableDockTabs(self)
        place_window(self)
        self.restore_layout()

    @property
    def compare_runs(self) -> CompareRunsPanel:
        """The Compare Runs panel (built now if its dock has not been shown yet)."""
        return self._compare_runs.get()

    # ------------------------------------------------------------------ extension points
    def add_dock(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
        object_name: str | None = None,
        visible: bool = True,
    ) -> QDockWidget:
        """Put ``widget`` in a dock panel (listed in View ▸ Panels); ``object_name`` keys the saved layout."""
        name = object_name or (title.lower().replace(" ", "_") + "Dock")
        dock = PanelDock(title, self)
        dock.setObjectName(name)
        dock.setWidget(scrollable(widget))  # a panel never makes the window larger than the screen
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        self.menus["panels"].addAction(dock.toggleViewAction())
        dock.setVisible(visible)
        return dock

    def add_lazy_dock(
        self,
        factory: Callable[[], P],
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
        object_name: str | None = None,
    ) -> LazyPanel[P]:
        """A dock whose panel ``factory()`` is built the first time the dock is shown (or the panel is
        asked for): see :mod:`.lazy_panel`."""
        dock = self.add_dock(Placeholder(LazyPanel.HINT), title, area, object_name)
        return LazyPanel(dock, factory)

    def set_action_icon(self, action: QAction, name: str) -> None:
        """Give ``action`` the themed icon ``name`` (redrawn when the theme changes)."""
        action.setIcon(icon(name))
        self._icon_actions.append((action, name))

    # ------------------------------------------------------------------ title, status, errors
    def document_name(self) -> str:
        if self.session.path is not None:
            return self.session.path.name
        if self.documents.example_name:
            return f"{self.documents.example_name} (example)"
        return self.session.project.name or "Untitled"

    def document_stem(self) -> str:
        if self.session.path is not None:
            name = self.session.path.name
            return name[: -len(".bps.json")] if name.endswith(".bps.json") else Path(name).stem
        return portable_stem(self.session.project.name, "untitled")

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    def update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.document_name()}[*] — {APP_NAME}")
        self.setWindowModified(self.session.dirty)

    def _update_summary(self) -> None:
        net = self.session.network
        text = f"{'-'.join(map(str, net.sizes))} · {net.n_parameters():,} parameters"
        if self.session.trainer is None and self.session.trainer_problem:
            text += " · cannot train yet"
            self.summary.setToolTip(self.session.trainer_problem)
        else:
            self.summary.setToolTip("")
            if self.statusBar().currentMessage().startswith("Cannot train yet"):
                self.statusBar().clearMessage()  # the problem it reported is gone
        self.summary.setText(text)

    def _changed(self, change: Change) -> None:
        if change & Change.PROJECT:
            self._on_project()
        elif change & (Change.STRUCTURE | Change.DATASET | Change.CONFIG):
            self._update_summary()

    def _on_project(self) -> None:
        self.documents.prepare(self.session.project)
        self._sync_view_actions()
        self._update_summary()
        self.update_title()

    def show_error(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def _sync_view_actions(self, _key: str = "") -> None:
        s, A = self.session, self.actions
        pairs = (
            ("labels", bool(s.view_option("labels", DEFAULTS["labels"]))),
            ("fill_delta", s.view_option("fill", DEFAULTS["fill"]) == "delta"),
            ("bias_nodes", s.view_option("bias_style", DEFAULTS["bias_style"]) in ("node", "node_minus")),
        )
        for key, on in pairs:
            a = A[key]
            a.blockSignals(True)
            a.setChecked(on)
            a.blockSignals(False)

    # ------------------------------------------------------------------ recent files
    def fill_recent_menu(self) -> None:
        menu = self.menus["recent"]
        menu.clear()
        files = self.settings.recent_files()
        for i, f in enumerate(files):
            a = menu.addAction(f"&{i + 1}  {Path(f).name}")
            a.setToolTip(f)
            a.setStatusTip(f)
            a.setData(f)
            a.triggered.connect(lambda _c=False, path=f: self.documents.open_path(path))
        if files:
            menu.addSeparator()
            menu.addAction("Clear the List", self.settings.clear_recent)
        else:
            menu.addAction("No recent files").setEnabled(False)

    # ------------------------------------------------------------------ dialogs
    def show_preferences(self) -> bool:
        view = {key: self.session.view_option(key, self.settings.view_default(key)) for key in DEFAULTS}
        view["preset"] = self.settings.notation_preset()
        locked = frozenset(
            k
            for k in (*DEFAULTS, "preset", "theme")
            if self.settings.is_locked(f"prefs/{k}" if k == "theme" else f"view/{k}")
        )
        dlg = PreferencesDialog(self, view, self.settings.theme(), locked)
        if not run_modal(dlg):
            return False
        view, theme = dlg.values()
        apply_preferences(self.settings, self.session, view, theme)
        return True

    def show_about(self) -> None:
        show_about(self)

    def _on_setting(self, key: str) -> None:
        if key == "theme":
            app = QApplication.instance()
            if isinstance(app, QApplication):
                apply_theme(app, self.settings.theme())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            QTimer.singleShot(0, self._refresh_theme)
        super().changeEvent(event)

    def _refresh_theme(self) -> None:
        for action, name in self._icon_actions:
            action.setIcon(icon(name))
        self.canvas.network_scene.update_colours()

    # ------------------------------------------------------------------ layout persistence and closing
    def restore_layout(self) -> None:
        """The size and panels of the last session, unless they do not fit this screen (a layout saved
        on a monitor, opened on a projector): then the window is fitted to the screen afresh."""
        geometry, state = self.settings.window_state()
        if geometry is None and state is None:
            return
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        screen = self.screen()
        if screen is not None:
            available = screen.availableGeometry()
            size = self.normalGeometry().size()
            if size.width() > available.width() or size.height() > available.height():
                place_window(self)
        for hook in list(self.restore_hooks):
            hook()

    def reset_layout(self) -> None:
        """View ▸ Panels ▸ Reset Layout: every panel back where it goes on this screen."""
        screen = self.screen()
        compact = is_compact(screen.availableGeometry()) if screen is not None else False
        arrange_panels(self, compact)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.toolbar_text.update()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.documents.maybe_save() or not all(hook() for hook in list(self.close_hooks)):
            event.ignore()
            return
        self.presentation.set_active(False)  # the layout saved is the user's own, not the lecture's
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        self.autosaver.closed()
        event.accept()
