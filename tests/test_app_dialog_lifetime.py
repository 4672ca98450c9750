"""Dialogs and context menus made for one use are deleted after it (issue 13: memory over a long lab
session). A canvas context menu used to stay a child of the window until the window closed, one per
right click; one-use dialogs are now deleted as soon as they close (before, Python's garbage collector
had to find them)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMenu

from tests.gui_helpers import answer_dialogs, shown_window, when_modal


def flush() -> None:
    """What the application's event loop does between two user actions."""
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_dialogs_and_context_menus_are_deleted_after_use(qtbot, monkeypatch):
    answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    try:
        guide = next(a for a in w.menus["help"].actions() if a.text().replace("&", "") == "User Guide")
        before = len(w.findChildren(QDialog))
        for name, open_it in (
            ("preferencesDialog", w.show_preferences),
            ("userGuide", guide.trigger),
            ("layerDialog", lambda: w.editor.layer_properties(1)),
        ):
            for _ in range(3):
                timer = when_modal(name, lambda d: d.reject())
                open_it()
                timer.stop()
                flush()
        assert len(w.findChildren(QDialog)) == before
        menus = len(w.findChildren(QMenu))
        closer = QTimer()  # the menu is closed as soon as it is open (the user pressed Escape)
        closer.timeout.connect(lambda: (p := QApplication.activePopupWidget()) is not None and p.close())
        closer.start(10)
        for _ in range(3):
            w.editor.context_menu(None, w.canvas.mapToGlobal(QPoint(10, 10)))
            flush()
        closer.stop()
        assert len(w.findChildren(QMenu)) == menus
    finally:
        w.training.shutdown()


def test_edit_undo_keeps_the_last_edits_only(qtbot):
    """Each network edit keeps the network before and after it: the undo stack is bounded (the oldest
    edits go), so a long session of edits cannot grow without end."""
    from bpstudio.app.session import EDIT_UNDO_LIMIT, Session

    s = Session()
    for i in range(EDIT_UNDO_LIMIT + 30):
        assert s.edit_network(f"edit {i}", lambda n, v=i: n.weights[0].__setitem__((0, 0), float(v)))
    assert s.undo_stack.count() == EDIT_UNDO_LIMIT
    while s.undo_stack.canUndo():
        s.undo_stack.undo()
    assert s.network.weights[0][0, 0] == 29.0  # back to before the oldest edit kept
