"""Open the studio window on a simulated screen and report where its parts are (run as a script).

    python tests/screen_probe.py WIDTH HEIGHT SCALE [--exercise] [--presentation] [--train EPOCHS]
                                 [--shot FILE.png] [--dialogs] [--raise DOCK_OBJECT_NAME]

The offscreen platform is given one screen of WIDTH×HEIGHT device pixels and Qt scales the UI by
SCALE (QT_SCALE_FACTOR), as a laptop at 150 % does. The window opens as on a first launch (no saved
layout); the script prints one JSON object: the screen's available geometry, the window's geometry and
minimum size, and the global rectangle of every visible dock, toolbar and the status bar. With
``--dialogs`` it opens every dialog instead and reports each one's frame and whether its buttons are on
the screen.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    width, height, scale = int(argv[0]), int(argv[1]), float(argv[2])
    rest = argv[3:]
    tmp = Path(tempfile.mkdtemp(prefix="bpstudio-screen-"))
    config = tmp / "screen.json"
    screen = {"name": "probe", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"screens": [screen]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ["QT_SCALE_FACTOR"] = str(scale)
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
    os.environ["HOME"] = str(tmp)
    os.environ["BPSTUDIO_NO_RESTORE"] = "1"

    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QApplication, QDockWidget, QScrollArea, QToolBar

    from bpstudio.app.launch import build_window, make_app

    app = make_app()
    window = build_window()
    if "--presentation" in rest:
        window.actions["presentation"].trigger()
    if "--size" in rest:  # a window the user sized (e.g. maximised): WIDTHxHEIGHT
        w, h = rest[rest.index("--size") + 1].split("x")
        window.resize(int(w), int(h))
    window.show()
    app.processEvents()
    if "--exercise" in rest:
        from bpstudio import resources_dir

        window.teaching.open_file(resources_dir() / "exercises" / "xor-backprop-221.bpx.json")
    if "--train" in rest:  # N epochs (a run at full speed) and one more step: numbers and curves
        from PySide6.QtCore import QEventLoop, QTimer

        runner, loop = window.training.runner, QEventLoop()
        runner.finished.connect(lambda _outcome: QTimer.singleShot(600, loop.quit))
        runner.set_speed(0.0)
        if runner.start(epochs=int(rest[rest.index("--train") + 1])):
            loop.exec()
        window.session.step_batch()
    if "--raise" in rest:  # bring a panel to the front of its tabs (its dock's object name)
        window.docks[rest[rest.index("--raise") + 1]].raise_()
    for _ in range(5):
        app.processEvents()
    if "--dialogs" in rest:
        print(json.dumps(open_dialogs(app, window)))
        window.close()
        return 0

    def rect(widget) -> list[int]:
        top_left = widget.mapToGlobal(QPoint(0, 0))
        r = QRect(top_left, widget.size())
        return [r.x(), r.y(), r.width(), r.height()]

    parts = {}
    for dock in window.findChildren(QDockWidget):
        if dock.isVisible() and not dock.visibleRegion().isEmpty():
            parts[f"dock:{dock.windowTitle()}"] = rect(dock)
    for bar in window.findChildren(QToolBar):
        if bar.isVisible():
            parts[f"toolbar:{bar.windowTitle()}"] = rect(bar)
    parts["statusbar"] = rect(window.statusBar())
    parts["canvas"] = rect(window.canvas)
    # every panel (also those in a tab behind another) against the width of its dock's column: a
    # panel wider than that scrolls sideways and cuts off its plot or its controls
    column: dict = {}
    for dock in window.findChildren(QDockWidget):
        if dock.isVisible() and not dock.visibleRegion().isEmpty() and not dock.isFloating():
            area = window.dockWidgetArea(dock)
            column[area] = min(column.get(area, 10**6), dock.widget().width())
    from bpstudio.app.lazy_panel import LazyPanel

    for lazy in window.findChildren(LazyPanel):  # the panels not shown yet are built when first shown
        lazy.get()
    app.processEvents()
    too_wide = {}
    for dock in window.findChildren(QDockWidget):
        area = window.dockWidgetArea(dock)
        panel = dock.widget().widget() if isinstance(dock.widget(), QScrollArea) else dock.widget()
        if area in column and not dock.isFloating():
            need = max(panel.minimumSizeHint().width(), panel.minimumWidth())
            if need > column[area]:
                too_wide[dock.windowTitle()] = [need, column[area]]
    cut_titles = plot_titles_cut(app, window)
    avail = window.screen().availableGeometry()
    hint = window.minimumSizeHint()
    report = {
        "screen": [avail.x(), avail.y(), avail.width(), avail.height()],
        "window": rect(window),
        "minimum": [max(hint.width(), window.minimumWidth()), max(hint.height(), window.minimumHeight())],
        "parts": parts,
        "too_wide": too_wide,
        "cut_titles": cut_titles,
        "canvas_zoom": window.canvas.transform().m11(),
        "canvas_text": window.canvas.network_scene.text_scale,
        "font_px": QApplication.font().pixelSize() if QApplication.font().pixelSize() > 0 else None,
        "font_pt": QApplication.font().pointSizeF(),
    }
    if "--shot" in rest:
        window.grab().save(rest[rest.index("--shot") + 1])
    print(json.dumps(report))
    window.session.undo_stack.setClean()
    window.session._trained_since_save = False  # else closing asks whether to save (--train)
    window.close()
    return 0


def plot_titles_cut(app, window) -> dict:
    """{dock: [plot titles not whole on the screen]}, each dock brought to the front in turn: a title
    whose text reaches past its plot widget's edge, or into another plot's title beside it (pyqtgraph
    centres a title over the data area; what is too wide spills both ways and is cut at the edge)."""
    import pyqtgraph as pg
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QDockWidget

    def titles(dock) -> list:
        out = []
        for widget in dock.findChildren(pg.GraphicsLayoutWidget):
            if widget.isVisible():
                shown = [
                    (item, item.titleLabel.item.sceneBoundingRect())
                    for item in widget.ci.items
                    if isinstance(item, pg.PlotItem) and item.isVisible() and item.titleLabel.text
                ]
                out += [(widget, item, rect, shown) for item, rect in shown]
        return out

    cut: dict = {}
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
    for dock in docks:
        dock.raise_()
        # the panels re-arrange their plots a turn or a few of the event loop later: until it settles
        before = None
        for _ in range(40):
            QTest.qWait(25)
            now = [(id(item), rect.getRect(), w.width()) for w, item, rect, _s in titles(dock)]
            if now == before:
                break
            before = now
        for widget, item, rect, shown in titles(dock):
            beside = [other for it, other in shown if it is not item and other.intersects(rect)]
            if rect.left() < -1 or rect.right() > widget.width() + 1 or beside:
                cut.setdefault(dock.windowTitle(), []).append(getattr(item, "_bp_title", ("?",))[0])
    return cut


def open_dialogs(app, window) -> dict:
    """Every dialog of the window (those its menu actions open, and those that need a file, a run or a
    selection first), each shown at the size it opens with: its frame and whether its buttons are on the
    screen. Nothing is answered: every dialog is closed again at once (file dialogs return nothing)."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QMenu, QMessageBox

    from bpstudio import resources_dir
    from bpstudio.app.data.import_dialog import ImportDialog
    from bpstudio.app.dialogs import LayerDialog, ValueDialog
    from bpstudio.app.help import window_actions
    from bpstudio.app.training.compare_panel import RunDialog
    from bpstudio.app.training.gradcheck_dialog import GradientCheckDialog
    from bpstudio.app.walkthrough.room import QuizDialog

    avail = window.screen().availableGeometry()
    seen: dict[str, dict] = {}

    def shown(dialog) -> int:
        dialog.show()
        app.processEvents()
        name = dialog.objectName() or type(dialog).__name__
        frame = dialog.frameGeometry()
        buttons = [b for box in dialog.findChildren(QDialogButtonBox) for b in box.buttons() if b.isVisible()]
        on_screen = all(avail.contains(QRect(b.mapToGlobal(QPoint(0, 0)), b.size())) for b in buttons)
        seen.setdefault(
            name,
            {"frame": [frame.x(), frame.y(), frame.width(), frame.height()], "buttons_on_screen": on_screen},
        )
        dialog.reject()
        return int(QDialog.DialogCode.Rejected)

    QDialog.exec = shown
    QMessageBox.exec = lambda self: int(QMessageBox.StandardButton.Cancel)
    for name in ("question", "warning", "information", "critical"):
        setattr(QMessageBox, name, lambda *a, **k: QMessageBox.StandardButton.Cancel)
    QMessageBox.about = lambda *a, **k: None
    QFileDialog.getOpenFileName = QFileDialog.getSaveFileName = lambda *a, **k: ("", "")
    QFileDialog.getExistingDirectory = lambda *a, **k: ""
    QMenu.exec = lambda *a, **k: None
    ending = {"Quit", "About Qt", "Close Exercise", "Presentation Mode", "Full Screen"}
    for action in window_actions(window):
        if action.isEnabled() and action.text().replace("&", "").rstrip("…") not in ending:
            action.trigger()
            app.processEvents()
    iris = resources_dir() / "datasets" / "iris.csv.gz"
    for make in (
        lambda: GradientCheckDialog(window.session, window),
        lambda: RunDialog(window.session, "Run 2", window),
        lambda: ImportDialog(iris, parent=window),
        lambda: QuizDialog(window),
        lambda: LayerDialog(window, "Add Layer", 3, "sigmoid"),
        lambda: ValueDialog(window, "Edit Weight", "w", 1.0),
    ):
        make().exec()
    window.session.undo_stack.setClean()
    return {"screen": [avail.x(), avail.y(), avail.width(), avail.height()], "dialogs": seen}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
