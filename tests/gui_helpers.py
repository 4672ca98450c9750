"""Helpers shared by the GUI tests (not a test module)."""

from __future__ import annotations

import time
import types

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox


class ModalWatch:
    """Turns a modal dialog nobody answers into a test failure instead of a hung test run.

    A dialog's ``exec()`` runs its own event loop until someone answers it; in a test nobody does
    unless the test arranged it (:func:`answer_dialogs`, :func:`when_modal`), and pytest waits forever,
    e.g. for the "save the training?" question of a window closed after a run. Every half second this
    looks at the active modal dialog; one left open for ``limit`` seconds is noted in ``left_open`` and
    answered with its safe button (Cancel, No) or rejected, so the run goes on and the test that opened
    it fails (tests/conftest.py).
    """

    def __init__(self, limit: float = 60.0) -> None:
        self.limit = limit
        self.left_open: list[str] = []
        self._seen = None
        self._since = 0.0
        self.timer = QTimer()
        self.timer.setInterval(500)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        w = QApplication.activeModalWidget()
        if w is None or w is not self._seen:
            self._seen, self._since = w, time.monotonic()
            return
        if time.monotonic() - self._since < self.limit:
            return
        text = w.text() if isinstance(w, QMessageBox) else ""
        self.left_open.append(f"{type(w).__name__} {w.windowTitle()!r} {text!r}".rstrip())
        self._seen = None
        buttons = QMessageBox.StandardButton
        cancel = (
            w.escapeButton() or w.button(buttons.Cancel) or w.button(buttons.No)
            if isinstance(w, QMessageBox)
            else None
        )
        if cancel is not None:
            cancel.click()  # a question's safe answer (for "save?": do not close)
        elif isinstance(w, QDialog):
            w.reject()
        else:
            w.close()

    def stop(self) -> None:
        self.timer.stop()


def when_modal(name: str, action) -> QTimer:
    """Run ``action(dialog)`` as soon as a modal dialog with objectName ``name`` is open."""
    timer = QTimer()

    def poll():
        w = QApplication.activeModalWidget()
        if w is not None and w.objectName() == name and w.isVisible():
            timer.stop()
            try:
                action(w)
            finally:
                if w.isVisible():  # the action failed: close the dialog so the test reports it
                    w.reject()

    timer.timeout.connect(poll)
    timer.start(10)
    return timer


def answer_dialogs(monkeypatch) -> types.SimpleNamespace:
    """Message boxes answered by the test; file dialogs return whatever the test queues.

    ``box.warnings`` collects (title, text) of every warning, ``box.question`` is the answer to every
    question (Discard unless the test changes it), ``box.files`` the paths the file dialogs return.
    """
    box = types.SimpleNamespace(warnings=[], question=QMessageBox.StandardButton.Discard, files=[])
    monkeypatch.setattr(
        QMessageBox, "warning", lambda parent, title, text, *a, **k: box.warnings.append((title, text))
    )
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: box.question)

    def next_file(*_a, **_k):
        return (str(box.files.pop(0)), "") if box.files else ("", "")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", next_file)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", next_file)
    return box


def shown_window(qtbot):
    """A new studio window, shown, exposed and active (keys go to it)."""
    from bpstudio.app.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    return w


def window_showing(qtbot, monkeypatch, dock: str):
    """A new studio window (dialogs answered) with the dock named ``dock`` in front of its tabs."""
    answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    w.docks[dock].show()
    w.docks[dock].raise_()
    return w
