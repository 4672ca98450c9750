"""The studio window's menus and toolbars (File, Edit, View, Network, Train, Help).

Standard shortcuts come from QKeySequence's standard keys so they match the platform. The Train menu and
toolbar start empty and hidden; they appear as soon as another part of the app adds an action to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from ..teaching.labels import CHOICES, DEFAULTS
from ..teaching.notation import PRESETS, preset_of
from ..teaching.presenter import notation_from_view
from .changes import Change

if TYPE_CHECKING:
    from .main_window import MainWindow

SK = QKeySequence.StandardKey


class ShowWhenFilled(QObject):
    """Keeps a menu (in the menu bar) or a toolbar hidden while it has no actions."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.ActionAdded, QEvent.Type.ActionRemoved):
            QTimer.singleShot(0, lambda o=obj: self.update(o))
        return False

    @staticmethod
    def update(obj: QObject) -> None:
        try:
            filled = any(not a.isSeparator() for a in obj.actions())
        except RuntimeError:  # deleted meanwhile
            return
        if isinstance(obj, QMenu):
            obj.menuAction().setVisible(filled)
        elif isinstance(obj, QToolBar):
            if filled and not obj.property("shownOnce"):
                obj.setProperty("shownOnce", True)
                obj.setVisible(True)
            obj.toggleViewAction().setVisible(filled)
            if not filled:
                obj.setVisible(False)


def _action(
    w: MainWindow,
    text: str,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    icon_name: str | None = None,
    tip: str = "",
) -> QAction:
    a = QAction(text, w)
    if shortcut is not None:
        seq = shortcut if isinstance(shortcut, QKeySequence) else QKeySequence(shortcut)
        if isinstance(shortcut, QKeySequence.StandardKey):
            a.setShortcuts(QKeySequence.keyBindings(shortcut))
        else:
            a.setShortcut(seq)
    if icon_name:
        w.set_action_icon(a, icon_name)
    if tip:
        a.setStatusTip(tip)
        a.setToolTip(tip)
    a.triggered.connect(lambda _checked=False: slot())
    return a


def _radio_menu(w: MainWindow, title: str, key: str) -> QMenu:
    """A submenu of radio items for view option ``key``, kept in step with the session."""
    menu = QMenu(title, w)
    group = QActionGroup(menu)
    for value, label in CHOICES[key].items():
        a = QAction(label, group)
        a.setCheckable(True)
        a.setData(value)
        a.triggered.connect(lambda _c=False, v=value: w.session.set_view_option(key, v))
        menu.addAction(a)

    def sync(changed: str = key) -> None:
        if changed != key:
            return
        current = w.session.view_option(key, DEFAULTS[key])
        for a in group.actions():
            a.setChecked(a.data() == current)

    w.session.viewChanged.connect(sync)
    w.session.changed.connect(lambda change: sync(key) if change & Change.PROJECT else None)
    sync(key)
    menu.setObjectName(f"menu_{key}")
    return menu


def _preset_menu(w: MainWindow) -> QMenu:
    """View ▸ Course Notation: one radio item per course preset (Custom when the settings are none)."""
    menu = QMenu("Co&urse Notation", w)
    menu.setToolTipsVisible(True)
    group = QActionGroup(menu)
    for name, preset in PRESETS.items():
        a = QAction(preset.label, group)
        a.setCheckable(True)
        a.setData(name)
        a.setToolTip(preset.source)
        a.triggered.connect(
            lambda _c=False, n=name: w.session.set_notation(
                notation_from_view(w.session.project.view).with_preset(n)
            )
        )
        menu.addAction(a)
    custom = QAction("Custom", group)
    custom.setCheckable(True)
    custom.setEnabled(False)
    custom.setData("custom")
    menu.addAction(custom)

    def sync(_key: str = "") -> None:
        current = preset_of(notation_from_view(w.session.project.view))
        for a in group.actions():
            a.setChecked(a.data() == current)

    w.session.viewChanged.connect(sync)
    w.session.changed.connect(lambda change: sync() if change & Change.PROJECT else None)
    sync()
    menu.setObjectName("menu_course_notation")
    return menu


def build_menus(w: MainWindow) -> None:
    """Create ``w.menus``, ``w.toolbars`` and ``w.actions`` (name → QAction)."""
    docs, canvas, editor, session = w.documents, w.canvas, w.editor, w.session
    A = w.actions
    A["new"] = _action(w, "&New", docs.new, SK.New, "new", "Start a new network")
    A["open"] = _action(w, "&Open…", docs.open, SK.Open, "open", "Open a project file")
    A["open_example"] = _action(
        w, "Open &Example…", docs.open_example, "Ctrl+Shift+O", None, "Open a worked example from the notes"
    )
    A["save"] = _action(w, "&Save", docs.save, SK.Save, "save", "Save the project")
    A["save_as"] = _action(w, "Save &As…", docs.save_as, QKeySequence("Ctrl+Shift+S"), None)
    A["import_weights"] = _action(
        w, "&Import Weights…", docs.import_weights, "Ctrl+Shift+I", "import-weights"
    )
    A["import_dataset"] = _action(
        w,
        "Import &Dataset…",
        lambda: _import_dataset(w),
        None,
        None,
        "Import a CSV/TSV, NPZ or IDX file as the data",
    )
    A["export_weights"] = _action(
        w, "E&xport Weights…", docs.export_weights, "Ctrl+Shift+E", "export-weights"
    )
    A["export_png"] = _action(
        w, "Export Canvas as &PNG…", lambda: docs.export_canvas("png"), "Ctrl+Shift+P", "export-image"
    )
    A["export_svg"] = _action(w, "Export Canvas as S&VG…", lambda: docs.export_canvas("svg"))
    A["export_onnx"] = _action(
        w,
        "Export as &ONNX…",
        docs.export_onnx,
        None,
        None,
        "The trained network and its input scaling as an ONNX model, for inference in other tools",
    )
    A["export_pytorch"] = _action(
        w,
        "Export as P&yTorch Script…",
        docs.export_pytorch,
        None,
        None,
        "A standalone PyTorch script (and notebook) that builds and trains the same network the same way",
    )
    A["export_worksheet"] = _action(
        w,
        "Export &Worksheet…",
        docs.export_worksheet,
        None,
        None,
        "The current step as a problem sheet and its answer key (PDF or LaTeX), per-student variants",
    )
    A["quit"] = _action(w, "&Quit", w.close, SK.Quit)
    A["quit"].setMenuRole(QAction.MenuRole.QuitRole)

    undo = session.undo_stack.createUndoAction(w, "&Undo")
    undo.setShortcuts(QKeySequence.keyBindings(SK.Undo))
    w.set_action_icon(undo, "undo")
    redo = session.undo_stack.createRedoAction(w, "&Redo")
    redo.setShortcuts(QKeySequence.keyBindings(SK.Redo) or [QKeySequence("Ctrl+Shift+Z")])
    w.set_action_icon(redo, "redo")
    A["undo"], A["redo"] = undo, redo
    # Ctrl+, (Cmd+, on macOS) first, so that menus show it; the platform's own key (a "Settings"
    # key on some keyboards) works as well
    prefs_keys = [QKeySequence("Ctrl+,")] + [
        k for k in QKeySequence.keyBindings(SK.Preferences) if k != QKeySequence("Ctrl+,")
    ]
    A["preferences"] = _action(w, "&Preferences…", w.show_preferences, None, "preferences")
    A["preferences"].setShortcuts(prefs_keys)
    A["preferences"].setMenuRole(QAction.MenuRole.PreferencesRole)

    # the canvas zooms with +, − and 0 while it has the keyboard focus (and with Ctrl+wheel); Ctrl+=,
    # Ctrl+− and Ctrl+0 scale the whole window's text, as in a web browser
    A["zoom_in"] = _action(w, "Zoom &In", canvas.zoom_in, None, "zoom-in", "Magnify the network drawing")
    A["zoom_out"] = _action(w, "Zoom &Out", canvas.zoom_out, None, "zoom-out", "Shrink the network drawing")
    A["fit"] = _action(w, "&Fit to Window", canvas.fit_to_window, None, "zoom-fit", "Show the whole network")
    for key, keys in (("zoom_in", ("+", "=")), ("zoom_out", ("-",)), ("fit", ("0",))):
        A[key].setShortcuts([QKeySequence(k) for k in keys])
        A[key].setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        canvas.addAction(A[key])
    pres = w.presentation
    A["text_larger"] = _action(
        w, "&Larger Text", pres.larger, None, None, "Make all text in the window larger"
    )
    A["text_larger"].setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
    A["text_smaller"] = _action(w, "&Smaller Text", pres.smaller, "Ctrl+-", None, "Make all text smaller")
    A["text_actual"] = _action(w, "&Actual Size", pres.actual_size, "Ctrl+0", None, "Text at its normal size")
    A["presentation"] = _action(
        w,
        "&Presentation Mode",
        lambda: None,
        "F11",
        None,
        "Full screen, large text and only the canvas, table, walkthrough and plots (F11 to leave)",
    )
    A["presentation"].setCheckable(True)
    A["presentation"].toggled.connect(pres.set_active)
    A["reset_layout"] = _action(
        w, "&Reset Layout", w.reset_layout, None, None, "Put every panel back where it goes on this screen"
    )
    A["labels"] = _action(w, "Show Numeric &Labels", lambda: None, "Ctrl+Shift+L", "labels")
    A["labels"].setCheckable(True)
    A["labels"].toggled.connect(lambda on: session.set_view_option("labels", bool(on)))
    A["legend"] = _action(w, "Show Le&gend", lambda: None)
    A["legend"].setCheckable(True)
    A["legend"].setChecked(True)
    A["legend"].toggled.connect(canvas.set_legend_visible)
    A["fill_delta"] = _action(w, "Fill Neurons by &δ", lambda: None, "Ctrl+D", "fill-view")
    A["fill_delta"].setCheckable(True)
    A["fill_delta"].toggled.connect(
        lambda on: session.set_view_option("fill", "delta" if on else "activation")
    )
    A["bias_nodes"] = _action(w, "Draw Biases as “+1” &Nodes", lambda: None, "Ctrl+B", "bias-node")
    A["bias_nodes"].setCheckable(True)
    A["bias_nodes"].toggled.connect(
        lambda on: session.set_view_option(
            "bias_style",
            ("node_minus" if session.view_option("bias_style", "value") == "node_minus" else "node")
            if on
            else "value",
        )
    )

    A["about"] = _action(w, "&About Backprop Studio", w.show_about)
    A["about"].setMenuRole(QAction.MenuRole.AboutRole)
    A["about_qt"] = _action(
        w, "About &Qt", lambda: __import__("PySide6.QtWidgets").QtWidgets.QApplication.aboutQt()
    )
    A["about_qt"].setMenuRole(QAction.MenuRole.AboutQtRole)

    bar = w.menuBar()
    m = w.menus
    m["file"] = _submenu(w, bar, "&File")
    for key in ("new", "open", "open_example"):
        m["file"].addAction(A[key])
    m["recent"] = _submenu(w, m["file"], "Open &Recent")
    m["recent"].setObjectName("menu_recent")
    m["recent"].aboutToShow.connect(w.fill_recent_menu)
    m["file"].addSeparator()
    for key in ("save", "save_as"):
        m["file"].addAction(A[key])
    m["file"].addSeparator()
    for key in (
        "import_dataset",
        "import_weights",
        "export_weights",
        "export_png",
        "export_svg",
        "export_onnx",
        "export_pytorch",
        "export_worksheet",
    ):
        m["file"].addAction(A[key])
    m["file"].addSeparator()
    m["file"].addAction(A["quit"])

    m["edit"] = _submenu(w, bar, "&Edit")
    m["edit"].addAction(undo)
    m["edit"].addAction(redo)
    m["edit"].addSeparator()
    m["edit"].addAction(A["preferences"])

    m["view"] = _submenu(w, bar, "&View")
    for key in ("zoom_in", "zoom_out", "fit"):
        m["view"].addAction(A[key])
    m["text_size"] = _submenu(w, m["view"], "&Text Size")
    for key in ("text_larger", "text_smaller", "text_actual"):
        m["text_size"].addAction(A[key])
    m["view"].addAction(A["presentation"])
    m["view"].addSeparator()
    for key in ("labels", "legend", "fill_delta", "bias_nodes"):
        m["view"].addAction(A[key])
    m["view"].addMenu(_radio_menu(w, "Neuron &Names", "names"))
    m["view"].addMenu(_radio_menu(w, "N&otation", "notation"))
    m["view"].addMenu(_preset_menu(w))
    m["view"].addSeparator()
    m["panels"] = _submenu(w, m["view"], "&Panels")
    m["panels"].addAction(A["reset_layout"])
    m["panels"].addSeparator()
    m["toolbars"] = _submenu(w, m["view"], "&Toolbars")

    m["network"] = _submenu(w, bar, "&Network")
    for a in editor.actions():
        if a is None:
            m["network"].addSeparator()
        else:
            m["network"].addAction(a)
    for a in editor.actions():
        if a is not None and a.data():
            w.set_action_icon(a, str(a.data()))

    m["train"] = _submenu(w, bar, "&Train")
    m["train"].setObjectName("menu_train")
    m["help"] = _submenu(w, bar, "&Help")
    m["help"].addAction(A["about"])
    m["help"].addAction(A["about_qt"])
    for key, menu in m.items():
        if not menu.objectName():
            menu.setObjectName(f"menu_{key}")

    t = w.toolbars
    t["main"] = _toolbar(w, "File and Edit", "toolbar_main")
    for key in (
        "new",
        "open",
        "save",
        None,
        "undo",
        "redo",
        None,
        "zoom_in",
        "zoom_out",
        "fit",
        "labels",
        "bias_nodes",
        "fill_delta",
    ):
        t["main"].addSeparator() if key is None else t["main"].addAction(A[key])
    t["network"] = _toolbar(w, "Network", "toolbar_network")
    for a in (
        editor.act_add_after,
        editor.act_remove_layer,
        editor.act_add_neuron,
        editor.act_toggle_connection,
        editor.act_randomise,
    ):
        t["network"].addAction(a)
    t["train"] = _toolbar(w, "Train", "toolbar_train")

    w.filler = ShowWhenFilled(w)
    m["train"].installEventFilter(w.filler)
    t["train"].installEventFilter(w.filler)
    ShowWhenFilled.update(m["train"])
    ShowWhenFilled.update(t["train"])
    t["train"].setVisible(False)


def _import_dataset(w: MainWindow) -> None:
    """File ▸ Import Dataset…: the dataset panel's import dialog, with its dock shown."""
    ws = w.training
    dock = ws.docks["dataset"]
    dock.show()
    dock.raise_()
    ws.dataset_panel.import_file()


def _submenu(w: MainWindow, parent, title: str) -> QMenu:
    """A menu owned by the window (menus made by ``addMenu(title)`` can be freed by PySide's garbage
    collection once their Python wrapper goes: a QAction.menu() round trip was enough to lose one)."""
    menu = QMenu(title, w)
    parent.addMenu(menu)
    return menu


def _toolbar(w: MainWindow, title: str, name: str) -> QToolBar:
    tb = w.addToolBar(title)
    tb.setObjectName(name)
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    w.menus["toolbars"].addAction(tb.toggleViewAction())
    return tb
