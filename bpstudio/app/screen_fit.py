"""Fitting the studio window to the screen it opens on: its first size and where the panels go.

Lab screens run from a 1024×768 projector to 4K monitors at 200 % scaling; all sizes here are in
device-independent pixels (Qt's logical pixels), so a 1920×1080 laptop at 150 % is a 1280×720 screen.

* A **compact** screen (narrower than :data:`COMPACT_WIDTH` or lower than :data:`COMPACT_HEIGHT`)
  opens maximised, with one column of panels on the right: the settings, dataset, inspector and
  exercise as tabs above the loss, boundary and gradient plots as tabs; the δ/Δw table and the
  walkthrough share the area under the canvas.
* A **standard** screen opens at 90 % of its free area, centred, with the settings on the left and the
  inspector and plots on the right.

No panel may make the window larger than the screen: every panel sits in a scroll area
(:func:`scrollable`), so a panel that is too small for its contents scrolls instead of pushing the
window's minimum size past the screen. Panels stacked as tabs keep their whole names and the tabs
scroll (:class:`ReadableDockTabs`) rather than all shrinking to "Lo…".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QComboBox,
    QDockWidget,
    QFrame,
    QLabel,
    QLayout,
    QScrollArea,
    QTabBar,
    QWidget,
)

if TYPE_CHECKING:
    from .main_window import MainWindow

#: below this width or height (logical pixels) the window opens maximised with one column of panels
COMPACT_WIDTH = 1500
COMPACT_HEIGHT = 900
#: a standard screen's first window takes this share of the free area
SHARE = 0.9
#: the smallest a panel asks for (its contents scroll below it)
PANEL_MINIMUM = QSize(160, 90)
#: what a window's frame (title bar, borders) takes of the screen around a dialog, at most
FRAME_MARGIN = QSize(16, 48)

#: the docks' object names, by where they go
SIDE = ("trainingSettingsDock", "datasetDock", "inspectorDock", "exerciseDock")
PLOTS = ("lossDock", "boundaryDock", "gradientsDock", "landscapeDock", "compareRunsDock")
BOTTOM = ("traceTableDock", "walkthroughDock", "chainRuleDock", "lessonDock")


#: nested resizes of a panel past which its scroll area stops answering them (see PanelScroll)
SEESAW_DEPTH = 6


class PanelScroll(QScrollArea):
    """A frameless scroll area around a panel whose own minimum size would not fit a small screen.

    A panel whose least height depends on its width, and not always the narrower the taller (a row
    of controls that wraps, :class:`~bpstudio.app.flow_layout.FlowBar`), can make the vertical scroll
    bar come and go for ever: without the bar the panel is wide enough to need it, with it narrow
    enough not to. Qt answers each resize of the panel with another, nested, until the stack
    overflows (a crash the random-use soak found, the Gradients panel at 336 and 322 pixels wide).
    Past :data:`SEESAW_DEPTH` nested resizes the scroll area stops answering them and then keeps
    its vertical bar (the state that stands) until it is given a new size itself.
    """

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"{widget.objectName() or type(widget).__name__}Scroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setWidget(widget)
        self._resizing = 0
        self._seesaw = False

    def minimumSizeHint(self) -> QSize:
        return PANEL_MINIMUM

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.Resize or obj is not self.widget():
            return super().eventFilter(obj, event)
        if self._resizing >= SEESAW_DEPTH:
            if not self._seesaw:
                self._seesaw = True
                QTimer.singleShot(0, self, self._keep_bar)
            return False
        self._resizing += 1
        try:
            return super().eventFilter(obj, event)
        finally:
            self._resizing -= 1

    def _keep_bar(self) -> None:
        if self._seesaw:
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A panel with a ``fit_height(pixels)`` method hears how high its visible area is (it may be
        less than the panel's own height, which never goes below its minimum)."""
        if self._seesaw and event.size() != event.oldSize():  # a new size: the bar as needed again
            self._seesaw = False
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        super().resizeEvent(event)
        fit = getattr(self.widget(), "fit_height", None)
        if fit is not None:
            fit(self.viewport().height())

    def sizeHint(self) -> QSize:
        widget = self.widget()
        return widget.sizeHint() if widget is not None else super().sizeHint()


class FormScroll(PanelScroll):
    """A dialog's form in a frameless scroll area: as large as the form where the screen has room, and
    scrolling (up and down only) on a screen lower than the form, so that the dialog's buttons, outside
    it, always show."""

    def __init__(self, layout: QLayout) -> None:
        form = QWidget()
        form.setLayout(layout)
        super().__init__(form)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(self.widget().minimumSizeHint().width() + bar, PANEL_MINIMUM.height())


def fit_dialog(dialog: QWidget, width: int | None = None, height: int | None = None) -> None:
    """Give ``dialog`` the size it wants (``width`` × ``height``, by default its size hint), but no more
    than the free area of the screen it opens on (its parent's) leaves, less a margin for the window's
    frame: a dialog made for a 1080-pixel screen still fits a 1024×768 projector or a laptop at 150 %."""
    hint = dialog.sizeHint()
    want = QSize(width or hint.width(), height or hint.height())
    host = dialog.parentWidget() or dialog
    screen = host.screen() if host is not None else None
    if screen is not None:
        free = screen.availableGeometry().size() - FRAME_MARGIN
        want = want.boundedTo(free)
    dialog.resize(want.expandedTo(dialog.minimumSizeHint()))


def size_to_text(box: QComboBox, longest: str) -> None:
    """Size ``box`` for ``longest`` (the longest of its items' texts, known to the caller) instead
    of measuring every item: Qt measures every item's text for a box's size (on showing it, on each
    layout), 0.4 s for the 50,000 samples of a full batch."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    fm = box.fontMetrics()  # (Qt counts the length in widths of an "X", and adds an icon's room)
    text = fm.horizontalAdvance(longest) - box.iconSize().width() - 4
    box.setMinimumContentsLength(max(1, math.ceil(text / max(fm.horizontalAdvance("X"), 1))))


def scrollable(widget: QWidget) -> QWidget:
    """``widget`` itself when it already scrolls, else ``widget`` inside a :class:`PanelScroll`."""
    if isinstance(widget, QAbstractScrollArea):
        return widget
    return PanelScroll(widget)


def is_compact(available: QRect) -> bool:
    """True for a screen whose free area is below :data:`COMPACT_WIDTH` × :data:`COMPACT_HEIGHT`."""
    return available.width() < COMPACT_WIDTH or available.height() < COMPACT_HEIGHT


def first_geometry(available: QRect) -> QRect:
    """The window's first (normal) geometry: the whole free area when compact, else 90 % of it, centred."""
    if is_compact(available):
        return QRect(available)
    w, h = round(available.width() * SHARE), round(available.height() * SHARE)
    rect = QRect(0, 0, w, h)
    rect.moveCenter(available.center())
    return rect


def place_window(window: MainWindow) -> None:
    """Give a window that has no saved layout its first size on the screen it opens on."""
    screen = window.screen()
    if screen is None:
        return
    available = screen.availableGeometry()
    compact = is_compact(available)
    arrange_panels(window, compact, available.size())
    window.setGeometry(first_geometry(available))
    if compact:
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def _docks(window: MainWindow, names: tuple[str, ...]) -> list[QDockWidget]:
    return [window.docks[n] for n in names if n in window.docks]


def arrange_panels(window: MainWindow, compact: bool, size: QSize | None = None) -> None:
    """Put the panels where :mod:`screen_fit` says for a ``compact`` or standard screen of ``size``.

    Panels keep their shown/hidden state (the exercise panel stays hidden without an exercise); a
    floating panel is docked again.
    """
    size = size or window.size()
    side, plots, bottom = _docks(window, SIDE), _docks(window, PLOTS), _docks(window, BOTTOM)
    hidden = {d: d.isHidden() for d in side + plots + bottom}
    Area = Qt.DockWidgetArea
    V = Qt.Orientation.Vertical
    for dock in side + plots + bottom:
        dock.setFloating(False)
        window.removeDockWidget(dock)
    d = window.docks
    if compact:  # one column: [settings | dataset | inspector | exercise] over [loss | boundary | grads]
        column, tabs = side[0], side[1:]
        first_plot, plot_tabs = plots[0], plots[1:]
        window.addDockWidget(Area.RightDockWidgetArea, column)
        window.addDockWidget(Area.RightDockWidgetArea, first_plot)
        window.splitDockWidget(column, first_plot, V)
    else:  # settings | dataset | exercise on the left; inspector, boundary | grads, loss on the right
        column, tabs = side[0], [x for x in side[1:] if x is not d.get("inspectorDock")]
        first_plot = d["boundaryDock"]
        plot_tabs = [x for x in plots if x not in (first_plot, d["lossDock"])]
        window.addDockWidget(Area.LeftDockWidgetArea, column)
        right = [x for x in (d.get("inspectorDock"), first_plot, d["lossDock"]) if x is not None]
        for dock in right:
            window.addDockWidget(Area.RightDockWidgetArea, dock)
        for upper, lower in zip(right, right[1:]):
            window.splitDockWidget(upper, lower, V)
    for dock in tabs:
        window.tabifyDockWidget(column, dock)
    for dock in plot_tabs:
        window.tabifyDockWidget(first_plot, dock)
    window.addDockWidget(Area.BottomDockWidgetArea, bottom[0])
    for dock in bottom[1:]:
        window.tabifyDockWidget(bottom[0], dock)
    for dock, was_hidden in hidden.items():
        dock.setVisible(not was_hidden)
    for dock in (column, first_plot, bottom[0]):
        dock.raise_()
    resize_panels(window, compact, size)


def resize_panels(window: MainWindow, compact: bool, size: QSize) -> None:
    """Share ``size`` between the canvas and the panels (the canvas keeps at least half the width)."""
    d = window.docks
    w, h = size.width(), size.height()
    H, V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
    if compact:
        column = max(320, min(420, round(w * 0.34)))
        window.resizeDocks([d["trainingSettingsDock"]], [column], H)
        window.resizeDocks([d["trainingSettingsDock"], d["lossDock"]], [round(h * 0.5), round(h * 0.4)], V)
        window.resizeDocks([d["traceTableDock"]], [max(170, round(h * 0.31))], V)
        return
    window.resizeDocks([d["trainingSettingsDock"]], [max(300, round(w * 0.21))], H)
    window.resizeDocks([d["boundaryDock"]], [max(320, round(w * 0.25))], H)
    window.resizeDocks([d["traceTableDock"]], [max(220, round(h * 0.33))], V)
    right = [d[n] for n in ("inspectorDock", "boundaryDock", "lossDock") if n in d]
    window.resizeDocks(right, [round(h * 0.2), round(h * 0.4), round(h * 0.35)][-len(right) :], V)


class ToolbarText:
    """Shows the Train toolbar's button names while the window is wide enough for them, icons only
    (names in the tooltips) when it is not: on a 1024-pixel projector the step buttons, the speed and
    the status then still fit in one row instead of hiding behind the "»" button."""

    def __init__(self, window: MainWindow, key: str = "train") -> None:
        self.window, self.key = window, key
        self._needed: int | None = None  # the width the bar needs with names, at the current font

    def font_changed(self) -> None:
        self._needed = None
        self.update()

    def update(self) -> None:
        bar = self.window.toolbars.get(self.key)
        if bar is None or bar.isHidden():
            return
        names = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        if self._needed is None:
            bar.setToolButtonStyle(names)
            self._needed = bar.sizeHint().width()
        wide = self._needed <= self.window.width()
        bar.setToolButtonStyle(names if wide else Qt.ToolButtonStyle.ToolButtonIconOnly)


class ReadableDockTabs(QObject):
    """Panel tabs (docks stacked in one place) keep their whole names and scroll, instead of Qt's
    default of shortening every name until all fit: in a 348-pixel column "Loss" and "Loss Landscape"
    both became "Lo…". The main window makes a tab bar whenever docks are first stacked somewhere, so
    each one is set up as it arrives (its ``ChildPolished`` event) as well as those already there."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        for bar in window.findChildren(QTabBar):
            self.set_up(bar, window)
        window.installEventFilter(self)

    @staticmethod
    def set_up(bar: QTabBar, window: QObject) -> None:
        if bar.parent() is window:  # the window's own dock tabs, not a panel's QTabWidget
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ChildPolished:
            child = event.child()  # type: ignore[attr-defined]
            if isinstance(child, QTabBar):
                self.set_up(child, watched)
        return False


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with "…" when the window is too narrow for it (the
    status bar's labels on a small screen or with large text); the whole text is then its tooltip."""

    #: the narrowest the label may become, in average character widths
    MIN_CHARS = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._tip = ""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._elide()
        self.updateGeometry()

    def text(self) -> str:
        """The whole text (what is shown may be shortened: :meth:`shown_text`)."""
        return self._full

    def shown_text(self) -> str:
        return QLabel.text(self)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt's name)
        self._tip = tip
        self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._full) + 8, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        width = min(self.sizeHint().width(), self.fontMetrics().averageCharWidth() * self.MIN_CHARS)
        return QSize(width, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.width() - 4, 0)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        QLabel.setText(self, shown)
        parts = [self._full if shown != self._full else "", self._tip]
        QLabel.setToolTip(self, "\n".join(p for p in parts if p))


class FoldingLabel(ElidedLabel):
    """A caption that wraps over as many lines as it needs, or, while it is folded (its panel is short:
    a projector, large text), shows one line shortened with "…" like :class:`ElidedLabel`, the whole
    text in its tooltip; the lines it saves go to what the panel is for (the rows of a table)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._folded = False
        super().__init__(parent)
        self.setWordWrap(True)

    def fold(self, folded: bool) -> None:
        if folded != self._folded:
            self._folded = folded
            self.setWordWrap(not folded)
            self._elide()
            self.updateGeometry()

    def folded(self) -> bool:
        return self._folded

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return super().sizeHint() if self._folded else QLabel.sizeHint(self)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return super().minimumSizeHint() if self._folded else QLabel.minimumSizeHint(self)

    def _elide(self) -> None:
        if self._folded:
            super()._elide()
        else:
            QLabel.setText(self, self._full)
            QLabel.setToolTip(self, self._tip)


#: no maximum width (Qt's QWIDGETSIZE_MAX)
NO_MAXIMUM = 16_777_215


def make_room_for_messages(bar) -> None:
    """While ``bar`` (a QStatusBar) shows a temporary message, its :class:`ElidedLabel` permanent
    widgets shorten so that the message is shown whole (Qt gives permanent widgets their full width and
    cuts the message off); when it goes they get their width back."""

    def fit(message: str) -> None:
        labels = [w for w in bar.findChildren(ElidedLabel) if w.isVisible()]
        if not message:
            for label in labels:
                label.setMaximumWidth(NO_MAXIMUM)
            return
        others = sum(
            w.sizeHint().width() + 8
            for w in bar.findChildren(QWidget)
            if w.parent() is bar and w.isVisible() and not isinstance(w, ElidedLabel)
        )
        room = bar.width() - bar.fontMetrics().horizontalAdvance(message) - 40 - others
        labels.sort(key=lambda w: w.sizeHint().width())  # the shortest keep their text longest
        for i, label in enumerate(labels):
            share = max(room // max(len(labels) - i, 1), label.minimumSizeHint().width())
            width = min(label.sizeHint().width(), share)
            label.setMaximumWidth(width)
            room -= width

    bar.messageChanged.connect(fit)
