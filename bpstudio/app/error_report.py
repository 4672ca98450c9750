"""Unexpected errors: a message in the window instead of silence, and a log for whoever looks into it.

A Python exception that nothing handled (in a slot Qt called, in a timer, in a thread) would otherwise
be printed to a console that an installed app does not have, while the window carried on as if
nothing happened. :func:`install` (called by ``bpstudio`` when it opens the window, not by the tests'
windows) routes them here instead:

* every one is appended to ``<data folder>/bpstudio/errors.log`` (kept under :data:`MAX_LOG_BYTES`:
  the older half is dropped when it grows past that) and still printed to standard error;
* the window shows one message, *Something went wrong*, with the error, where the log is, the advice
  to save the work under a new name, and the traceback under *Show Details* (with *Copy Details*);
  errors that follow while it is open only count up in it, so a failing paint cannot bury the screen;
* a crash of the process itself (a fault in Qt or NumPy's native code) writes the Python stack of
  every thread to ``<data folder>/bpstudio/crash.log`` (:mod:`faulthandler`); the work survives as
  its autosaved copy (``recovery.py``).
"""

from __future__ import annotations

import faulthandler
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from .settings import data_folder

#: errors.log and crash.log are cut to their newer half when they grow past this
MAX_LOG_BYTES = 1 << 20
#: the error as the message shows it, at most this long
MAX_SUMMARY = 300


def log_folder() -> Path:
    """``<data folder>/bpstudio`` (e.g. ~/.local/share/bpstudio), resolved afresh each time."""
    return data_folder()


def _trim(path: Path, limit: int = MAX_LOG_BYTES) -> None:
    """Keep the newer half of ``path`` (from a line start) once it is larger than ``limit``."""
    try:
        if path.stat().st_size <= limit:
            return
        data = path.read_bytes()[-limit // 2 :]
        cut = data.find(b"\n")
        path.write_bytes(data[cut + 1 :] if cut >= 0 else data)
    except OSError:
        pass


#: what PySide6 puts before the message of an error that passed through Python event filters
_OVERRIDE = re.compile(r"Error calling Python override of [\w:]+\(\): ")


def summary_of(exc_type: type[BaseException], exc: BaseException) -> str:
    """``TypeName: message`` on one line, at most :data:`MAX_SUMMARY` characters."""
    text = " ".join(_OVERRIDE.sub("", f"{exc_type.__name__}: {exc}").split())
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"


class ErrorReporter(QObject):
    """Logs unhandled exceptions and shows them in the window (see the module notes)."""

    #: (summary, details): emitted from any thread, shown in the GUI thread
    reported = Signal(str, str)

    def __init__(self, window: Callable[[], QWidget | None], folder: Path | None = None) -> None:
        super().__init__()
        self.window = window
        self.folder = log_folder() if folder is None else folder
        self.box: QMessageBox | None = None
        #: errors reported while the box was open, after the one it shows
        self.more = 0
        self._summary = ""
        self._previous_hooks: tuple | None = None
        self._crash_file: IO[str] | None = None
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    @property
    def log_file(self) -> Path:
        return self.folder / "errors.log"

    @property
    def crash_file(self) -> Path:
        return self.folder / "crash.log"

    # ------------------------------------------------------------------ hooks
    def install(self) -> None:
        """Take over ``sys.excepthook`` and ``threading.excepthook``, and let faulthandler write to
        crash.log (each only if the folder can be written)."""
        self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _trim(self.crash_file)
            self._crash_file = open(self.crash_file, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
            faulthandler.enable(self._crash_file, all_threads=True)
        except OSError:
            self._crash_file = None

    def uninstall(self) -> None:
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks
            self._previous_hooks = None
        if self._crash_file is not None:
            faulthandler.disable()
            self._crash_file.close()
            self._crash_file = None

    def excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.report(exc_type, exc, tb)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        where = f" in thread {args.thread.name}" if args.thread is not None else ""
        self.report(args.exc_type, args.exc_value, args.exc_traceback, where)

    def report(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
        where: str = "",
    ) -> None:
        """Log the exception, print it to standard error and have the window show it."""
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.log_file, "a", encoding="utf-8") as fh:
                fh.write(f"--- {stamp}{where}\n{details}\n")
            _trim(self.log_file)
        except OSError:
            pass
        try:
            sys.stderr.write(details)
        except (OSError, AttributeError, ValueError):  # no console (a windowed app on Windows)
            pass
        self.reported.emit(summary_of(exc_type, exc), details)

    # ------------------------------------------------------------------ the message
    def text(self) -> str:
        more = f"\n\n{self.more} more error{'s' if self.more != 1 else ''} followed." if self.more else ""
        return (
            f"Something went wrong inside Backprop Studio:\n\n{self._summary}\n\n"
            "Your project is still open. To be safe, save it under a new name (File ▸ Save As) and "
            f"restart Backprop Studio.\n\nThe details are in {self.log_file}.{more}"
        )

    def _show(self, summary: str, details: str) -> None:
        """Show the box (or count the error in the one open). Best effort: an error while showing it is
        left out, since reporting it would only ask for the box again, and again."""
        try:
            self._show_box(summary, details)
        except Exception:  # noqa: BLE001 (already in the log and on standard error)
            self.box = None

    def _show_box(self, summary: str, details: str) -> None:
        if self.box is not None:
            self.more += 1
            self.box.setText(self.text())
            return
        self._summary, self.more = summary, 0
        box = QMessageBox(self.window())
        box.setObjectName("errorReport")
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Something went wrong")
        box.setText(self.text())
        box.setDetailedText(details)
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        copy = box.addButton("&Copy Details", QMessageBox.ButtonRole.ActionRole)  # (the box owns it)
        copy.setObjectName("errorReportCopy")
        # an action button closes the box unless its clicked signal is taken over: copy, and stay open
        copy.clicked.disconnect()
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(f"{self.text()}\n\n{details}"))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._closed)
        self.box = box
        box.show()  # not exec(): an error in a paint would otherwise open boxes inside boxes

    def _closed(self, _result: int = 0) -> None:
        self.box = None
        self.more = 0


def install(window: Callable[[], QWidget | None]) -> ErrorReporter:
    """An :class:`ErrorReporter` for the window ``window()`` returns, installed."""
    reporter = ErrorReporter(window)
    reporter.install()
    return reporter
