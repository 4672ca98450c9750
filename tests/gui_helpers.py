"""Helpers shared by the GUI tests (not a test module)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


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
