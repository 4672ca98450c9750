"""The Help menu: the user guide (shipped, offline), the keyboard shortcuts and the example files.

The shortcuts list is made from the window's actions when it is opened, so it always shows the keys
that work (a list written by hand would drift from them).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenu, QTextBrowser, QVBoxLayout, QWidget

from .. import resources_dir
from .dialogs import run_modal
from .screen_fit import fit_dialog

if TYPE_CHECKING:
    from .main_window import MainWindow

GUIDE = "guide/user-guide.md"


class TextDialog(QDialog):
    """A resizable window with a read-only text browser and a Close button."""

    def __init__(self, parent: QWidget | None, title: str, name: str) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setObjectName(f"{name}Text")
        self.browser.setOpenExternalLinks(False)  # no network: links to the web stay text
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)
        fm = self.fontMetrics()
        fit_dialog(self, fm.averageCharWidth() * 90, fm.height() * 36)


def guide_dialog(parent: QWidget | None) -> TextDialog:
    """The user guide, rendered from the Markdown file shipped in the resources."""
    dlg = TextDialog(parent, "Backprop Studio User Guide", "userGuide")
    path = resources_dir() / GUIDE
    try:
        dlg.browser.setMarkdown(path.read_text(encoding="utf-8"))
    except OSError as exc:
        dlg.browser.setPlainText(f"The user guide could not be read ({path}): {exc.strerror or exc}")
    return dlg


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(what, keys) for every action with a shortcut, in menu order, each listed once."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts() if not k.isEmpty()]
        text = a.text().replace("&", "").rstrip("…").strip()
        if not keys or not text or text in seen:
            continue
        seen.add(text)
        rows.append((text, ", ".join(keys)))
    return rows


def window_actions(window: MainWindow) -> list[QAction]:
    """Every action of the window's menus and submenus (each menu's entries in its order).

    The menus are found as the window's children, never through ``QAction.menu()``: that round trip
    can let PySide free a menu whose Python wrapper it created.
    """
    menus = window.findChildren(QMenu)
    submenus = {id(m.menuAction()) for m in menus}
    found: list[QAction] = []
    for menu in menus:
        found.extend(a for a in menu.actions() if not a.isSeparator() and id(a) not in submenus)
    return found


def shortcuts_dialog(window: MainWindow) -> TextDialog:
    dlg = TextDialog(window, "Keyboard Shortcuts", "shortcutsDialog")
    rows = shortcut_rows(window_actions(window))
    body = "".join(
        f"<tr><td>{html.escape(text)}</td><td>&nbsp;&nbsp;<b>{html.escape(keys)}</b></td></tr>"
        for text, keys in rows
    )
    extra = (
        "<p>On the canvas: <b>+</b> / <b>−</b> zoom, <b>0</b> fits the network, Ctrl+wheel zooms, "
        "dragging the background pans. In an exercise: <b>Return</b> "
        "checks an answer and goes to the next.</p>"
    )
    dlg.browser.setHtml(f"<h3>Keyboard shortcuts</h3><table>{body}</table>{extra}")
    return dlg


def open_example_files() -> bool:
    """Show the folder of the shipped examples and exercises in the system's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(resources_dir())))


def install(window: MainWindow) -> None:
    """Add the Help menu's entries (before About)."""
    menu = window.menus["help"]
    first = menu.actions()[0] if menu.actions() else None
    guide = QAction("&User Guide", window)
    guide.setShortcuts(
        QKeySequence.keyBindings(QKeySequence.StandardKey.HelpContents) or [QKeySequence("F1")]
    )
    guide.triggered.connect(lambda _c=False: run_modal(guide_dialog(window)))
    keys = QAction("&Keyboard Shortcuts", window)
    keys.triggered.connect(lambda _c=False: run_modal(shortcuts_dialog(window)))
    files = QAction("&Example and Exercise Files", window)
    files.setStatusTip("Open the folder of the shipped examples, exercises and datasets")
    files.triggered.connect(lambda _c=False: open_example_files())
    for a in (guide, keys, files):
        menu.insertAction(first, a)
    menu.insertSeparator(first)
    window.actions.update({"user_guide": guide, "shortcuts": keys, "example_files": files})
