"""Starting the studio window: ``bpstudio [PROJECT] [--smoke-test]`` ends up here.

``launch(args)`` creates the QApplication (Fusion style, the saved theme, sharp high-DPI rendering),
opens ``args.project`` or the built-in XOR example, and runs the event loop. A project that cannot be
read raises the engine's error before any window appears, so the command line prints one line and
exits with status 2. Once the window shows, unhandled errors are reported in it and logged
(``error_report.py``), and work a crash left unsaved is offered (``recovery.py``).

With ``BPSTUDIO_QUIT_AFTER_PAINT=1`` the app prints ``first-paint <seconds since interpreter start>``
once the canvas has been painted and quits: ``benchmarks/startup.py`` times launches this way.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

_T0 = time.perf_counter()


def _interpreter_age() -> float:
    """Seconds since this process started (from /proc where available, else since this module loaded)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _T0


def make_app():
    """The QApplication (created once), styled and themed from the saved preferences."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from .settings import APPLICATION, ORGANISATION, AppSettings
    from .theme import app_icon, apply_theme, follow_system_scheme

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        QCoreApplication.setOrganizationName(ORGANISATION)
        QCoreApplication.setApplicationName(APPLICATION)
        app = QApplication(sys.argv[:1])
        app.setApplicationDisplayName("Backprop Studio")
        app.setDesktopFileName("bpstudio")
        app.setWindowIcon(app_icon())
        follow_system_scheme(app, lambda: AppSettings().theme())
    apply_theme(app, AppSettings().theme())
    return app


def build_window(project_path: str | None = None):
    """A MainWindow on ``project_path`` (or the XOR example); raises EngineError for a bad file."""
    from .main_window import MainWindow

    window = MainWindow()
    if project_path:
        window.documents.open_path(Path(project_path), ask=False, raise_errors=True)
    return window


class _FirstPaint:
    """Quits the application right after the canvas's first paint and reports the elapsed time."""

    def __init__(self, app, widget) -> None:
        from PySide6.QtCore import QObject

        class Filter(QObject):
            def eventFilter(inner, obj, event) -> bool:  # noqa: N805
                from PySide6.QtCore import QEvent, QTimer

                if event.type() == QEvent.Type.Paint and not self.done:
                    self.done = True
                    QTimer.singleShot(0, self.report)
                return False

        self.app = app
        self.done = False
        self.filter = Filter()
        widget.installEventFilter(self.filter)

    def report(self) -> None:
        print(f"first-paint {_interpreter_age():.4f}", flush=True)
        self.app.quit()


def launch(args: argparse.Namespace) -> int:
    """Open the window and run until it closes; the process's exit status."""
    from .qt_check import problem

    issue = problem()  # before Qt: it would abort with a screenful instead of one line
    if issue:
        print(f"bpstudio: error: {issue}", file=sys.stderr)
        return 2
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:  # e.g. libEGL.so.1 missing on a bare Linux
        print(
            f"bpstudio: error: Qt cannot be loaded: {exc}. On Debian/Ubuntu: sudo apt install libegl1 "
            "libgl1 libfontconfig1 libxkbcommon0 (see the README)",
            file=sys.stderr,
        )
        return 2
    app = make_app()
    if getattr(args, "smoke_test", False):
        try:
            smoke = importlib.import_module("bpstudio.app.smoke")
        except ModuleNotFoundError as exc:
            if exc.name not in ("bpstudio.app.smoke", "bpstudio.app"):
                raise
            window = build_window(getattr(args, "project", None))
            window.show()
            app.processEvents()
            window.session.undo_stack.setClean()
            window.close()
            return 0
        return int(smoke.run_smoke_test(args))
    window = build_window(getattr(args, "project", None))
    if os.environ.get("BPSTUDIO_QUIT_AFTER_PAINT"):
        probe = _FirstPaint(app, window.canvas.viewport())
        window.show()
        app.exec()
        return 0 if probe.done else 1
    reporter = look_after(window)
    show_window(window)
    try:
        return int(app.exec())
    finally:
        reporter.uninstall()


def look_after(window):
    """What the launched window has that a test's does not: unhandled errors shown in it and logged
    (``error_report.py``; the returned reporter's ``uninstall()`` undoes it), and, once the event loop
    runs, the offer of work a crash left unsaved (``recovery.py``)."""
    from PySide6.QtCore import QTimer

    from .error_report import install as report_errors
    from .recovery import offer_recovery

    reporter = report_errors(lambda: window)
    QTimer.singleShot(0, window, lambda: offer_recovery(window))
    return reporter


def show_window(window) -> None:
    """Show the studio window, in presentation mode if the lab's settings say so (a lecture PC)."""
    window.show()
    if window.settings.start_presentation():
        window.presentation.set_active(True)
