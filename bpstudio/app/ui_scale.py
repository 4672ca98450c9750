"""Text size of the whole window (View ▸ Text Size, Ctrl+= / Ctrl+− / Ctrl+0) and presentation mode.

The application's font is the platform's default font times a factor from :data:`STEPS`; widgets,
the δ/Δw table and the formulas follow the application font by themselves, the plots restyle their
titles, axes and legends (:func:`follow_font`), and the canvas magnifies its drawing by the same factor
when it fits the network to the window. The base font is remembered the first time the factor is set,
so that steps always scale the platform's font, never a scaled one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

#: the text sizes offered, as factors of the platform's font
STEPS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
#: the text size of presentation mode (unless the user already chose a larger one)
PRESENTATION = 1.75
_BASE = "bpstudioBaseFont"
_FACTOR = "bpstudioUiScale"


def _app() -> QApplication | None:
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else None


def base_font() -> QFont:
    """The platform's default font (before any scaling)."""
    app = _app()
    if app is None:
        return QFont()
    base = app.property(_BASE)
    if not isinstance(base, QFont):
        base = QFont(app.font())
        app.setProperty(_BASE, base)
    return QFont(base)


def factor() -> float:
    """The current text-size factor (1.0 until one is set)."""
    app = _app()
    value = app.property(_FACTOR) if app is not None else None
    return float(value) if isinstance(value, (int, float)) and value > 0 else 1.0


def nearest_step(value: float) -> float:
    """The step of :data:`STEPS` closest to ``value`` (a stored or typed factor is snapped to one)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 1.0
    if not value > 0:  # also NaN
        return 1.0
    return min(STEPS, key=lambda s: abs(s - value))


def step(current: float, direction: int) -> float:
    """The next larger (``direction`` > 0) or smaller step from ``current``, kept within the steps."""
    i = STEPS.index(nearest_step(current))
    return STEPS[max(0, min(len(STEPS) - 1, i + (1 if direction > 0 else -1)))]


def apply(value: float) -> float:
    """Set the application font to the base font times the step nearest ``value``; the factor set."""
    app = _app()
    value = nearest_step(value)
    if app is None:
        return value
    base = base_font()
    font = QFont(base)
    if base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF() * value)
    else:
        font.setPixelSize(max(1, round(base.pixelSize() * value)))
    app.setProperty(_FACTOR, value)
    if app.font() != font:
        app.setFont(font)
    return value


def scaled_points(points: float) -> float:
    """``points`` (a size designed for the default text size) at the current text size."""
    return points * factor()


class _FontWatcher(QObject):
    """Calls back once, after the event loop settles, when the application font changes."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self.callback = callback
        self.pending = False
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange) and not self.pending:
            self.pending = True
            QTimer.singleShot(0, self, self._fire)
        return False

    def _fire(self) -> None:
        self.pending = False
        self.callback()


def follow_font(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call ``callback`` (once per change) whenever ``widget``'s font follows a new application font."""
    _FontWatcher(widget, callback)
