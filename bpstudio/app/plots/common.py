"""Shared pieces of the plot docks: styling, throttled refresh, smoothing for display, and export.

Every plot dock has an "Export" button: the picture as PNG or SVG (pyqtgraph's exporters) and the
plotted numbers as CSV (written by the dock, one column per curve).
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers ImageExporter/SVGExporter)
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QFont, QFontMetricsF, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QScrollArea, QToolButton, QWidget

from ..ui_scale import follow_font, scaled_points
from .axes import LegendRow, ReadableAxis

#: curve colours (colour-blind safe, Okabe–Ito)
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SPLIT_COLOURS = {"train": "#0072B2", "val": "#E69F00", "test": "#009E73"}
SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}


def make_plot_widget() -> pg.GraphicsLayoutWidget:
    """A white-background pyqtgraph layout (reads well on screen, in print and in exported images)."""
    w = pg.GraphicsLayoutWidget()
    w.setBackground("w")
    w.ci.setContentsMargins(2, 2, 2, 2)
    follow_font(w, lambda: restyle_fonts(w))
    return w


def set_title(plot: pg.PlotItem, title: str, points: float = 10.0, loose: bool = False) -> None:
    """The plot's title in a row just high enough for it (pyqtgraph's fixed 30 px is a lot in a dock);
    ``points`` is the size at the default text size, scaled with the window's text size. ``loose``:
    the title does not widen the plot (pyqtgraph makes a title's width the plot's least width; a
    panel that fits its titles itself, or whose title changes as the pointer moves, says so)."""
    plot._bp_title = (title, points, loose)  # type: ignore[attr-defined]  # for restyle_fonts
    size = scaled_points(points)
    if loose:
        _loosen(plot.titleLabel)
    plot.setTitle(title, color="#222", size=f"{size:g}pt")
    font = QFont()
    font.setPointSizeF(size)
    height = math.ceil(QFontMetricsF(font).height()) + 5
    plot.titleLabel.setMaximumHeight(height)
    plot.layout.setRowFixedHeight(0, height)
    scene = plot.scene()
    for view in scene.views() if scene is not None else []:
        if isinstance(view, pg.GraphicsLayoutWidget):
            refit(view)


def _loosen(label: pg.LabelItem) -> None:
    """Make ``label``'s least width 0 for good: pyqtgraph sets it to the text's width whenever the text
    is set or the label resized (``LabelItem.updateMin``)."""
    if getattr(label, "_bp_loose", False):
        return
    original = label.updateMin

    def update_min() -> None:
        original()
        label.setMinimumWidth(0)
        label._sizeHint[Qt.SizeHint.MinimumSize] = (0, label._sizeHint[Qt.SizeHint.MinimumSize][1])

    label.updateMin = update_min  # type: ignore[method-assign]
    label._bp_loose = True  # type: ignore[attr-defined]


def refit(widget: pg.GraphicsLayoutWidget) -> None:
    """Give ``widget``'s layout the widget's size again. pyqtgraph sizes it when the widget is resized,
    but never below the layout's least width: a layout that was wider then (whole titles, plots side
    by side) and could now be narrower (a shorter title, plots one under the other) would stay too
    wide, its right-hand part cut off, until the next resize."""
    if widget.centralWidget is not None:
        widget.centralWidget.layout.invalidate()  # (its cached least size may be the old one)
        widget.centralWidget.setGeometry(widget.range)


def restyle_fonts(widget: pg.GraphicsLayoutWidget) -> None:
    """Titles, axis ticks and labels and legends of every plot in ``widget`` at the current text size."""
    if not shiboken6.isValid(widget):
        return
    for item in widget.scene().items():
        if isinstance(item, pg.PlotItem) and hasattr(item, "_bp_title"):
            set_title(item, *item._bp_title)
        elif isinstance(item, pg.AxisItem) and item.label is not None:
            item.setTickFont(QFont())
            item.label.setFont(QFont())
            item._updateLabel()
        elif isinstance(item, LegendRow):
            item.set_point_size(scaled_points(item.base_points))


def style_plot(plot: pg.PlotItem, title: str, x: str, y: str) -> None:
    """Title, axis labels and colours; axes whose tick labels never overlap (:class:`ReadableAxis`)."""
    plot.setAxisItems({"left": ReadableAxis("left"), "bottom": ReadableAxis("bottom")})
    set_title(plot, title)
    plot.setLabel("bottom", x, color="#222")
    plot.setLabel("left", y, color="#222")
    # no grid: alpha-blended grid lines across the plot cost more to repaint than everything else
    for name in ("bottom", "left"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen("#555"))
        axis.setTextPen(pg.mkPen("#222"))
        axis.setTickFont(QFont())  # explicit, so that labels are measured in the font they are drawn in
        axis.enableAutoSIPrefix(False)
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")


def reset_when_empty(*plots: pg.PlotItem) -> bool:
    """Plots none of whose curves has a point show the axes of an empty plot (0 to 1), not the range
    of the data they showed before (after New, Open, Undo Step to the start or opening an exercise);
    their auto-range is on again for the next data. The plots of one panel are passed together (they
    may share an axis): while any of them has data, none is reset."""
    if any(_has_points(item) for plot in plots for item in plot.listDataItems()):
        return False
    for plot in plots:
        vb = plot.getViewBox()
        if vb.viewRange() != [[0.0, 1.0], [0.0, 1.0]]:
            vb.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.02)
    for plot in plots:  # after every range is set: setting a linked plot's range turns auto-range off
        plot.getViewBox().enableAutoRange()
    return True


def _has_points(item) -> bool:
    x, _y = item.getData()
    return x is not None and len(x) > 0


def release_axes(*plots: pg.PlotItem, now: bool = False) -> None:
    """Let the plots' axes give back label room they no longer need (:meth:`ReadableAxis.release`):
    when a run ends or the plotted data are reset; during a run the room only grows. ``now``: measure
    at once with the plots' ranges brought up to date (when shown), instead of at the next repaint."""
    for plot in plots:
        measure = now and plot.isVisible()
        if measure:
            plot.getViewBox().prepareForPaint()  # the auto-range of the latest data, before it is painted
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            if isinstance(axis, ReadableAxis):
                axis.release(now=measure)


def release_later(panel: QWidget, *plots: pg.PlotItem) -> None:
    """:func:`release_axes` at once, in a turn of the event loop of its own after the refreshes already
    queued (:class:`FrameScheduler`): how a panel gives back label room when a run ends."""
    frame_scheduler().request(
        hash((id(panel), "release axes")), lambda: release_axes(*plots, now=not hidden(panel)), panel
    )


def moving_average(y: np.ndarray, window: int, at: np.ndarray | None = None) -> np.ndarray:
    """Trailing mean of the last ``window`` values (fewer at the start; NaNs skipped), for display
    only; evaluated at the 0-based positions ``at`` (default: everywhere)."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return y
    if window <= 1:
        return y if at is None else y[at]
    finite = np.isfinite(y)
    c = np.concatenate([[0.0], np.cumsum(np.where(finite, y, 0.0))])
    k = np.concatenate([[0], np.cumsum(finite)])
    idx = np.arange(1, y.size + 1) if at is None else np.asarray(at) + 1
    lo = np.maximum(idx - window, 0)
    count = k[idx] - k[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (c[idx] - c[lo]) / np.maximum(count, 1), np.nan)


def display_positions(n: int, max_points: int = 2000) -> np.ndarray:
    """At most ``max_points`` evenly spread 0-based positions of n values (all of them if fewer):
    where a smooth curve needs to be drawn (it has no detail finer than its window)."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).astype(np.int64))


def auto_window(n: int) -> int:
    """A smoothing window that grows with the number of updates (about 1 % of them)."""
    return max(1, n // 100)


#: the largest value a plot draws: beyond it (or ∞ or NaN, e.g. after training diverged) a curve has a
#: gap, so the axes' own arithmetic (ranges, padding, tick spacing) stays inside float64
MAX_PLOTTED = 1e300


def plottable(y: np.ndarray) -> np.ndarray:
    """The values a plot can draw; the others (not finite, or beyond ±:data:`MAX_PLOTTED`) become gaps."""
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(y) <= MAX_PLOTTED, y, np.nan)


def for_log_axis(y: np.ndarray) -> np.ndarray:
    """Values that cannot be drawn on a log axis (≤ 0, not finite, beyond :data:`MAX_PLOTTED`) become gaps."""
    y = plottable(y)
    with np.errstate(invalid="ignore"):
        return np.where(y > 0, y, np.nan)


def as_float_array(values: Sequence[float | None]) -> np.ndarray:
    """A history list as floats, None → NaN."""
    if not values:
        return np.zeros(0)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


#: ms between two panel refreshes during a run, so that each one's repaint happens in between (Qt
#: repaints a window from a short timer after widget.update(): 5 ms on X11 and offscreen)
PAINT_GRACE_MS = 8
#: ms the next refresh waits after a repaint that began meanwhile (it is over when the timer fires):
#: a turn of the event loop of its own, not the same stall of the window
QUIET_MS = 1
#: what makes the next refresh wait longer: a repaint (QUIET_MS), a relayout (PAINT_GRACE_MS: the
#: repaint it leads to is still to come)
PAINT_EVENTS = {
    QEvent.Type.UpdateRequest: QUIET_MS,
    QEvent.Type.Paint: QUIET_MS,
    QEvent.Type.LayoutRequest: PAINT_GRACE_MS,
}
#: ms a refresh waits at most for the window to stop repainting (a window that never stops: go on)
MAX_WAIT_MS = 120


class FrameScheduler(QObject):
    """Spreads panel refreshes over turns of the event loop while a run streams snapshots: one panel
    refreshes, the window repaints it, then the next panel; so no single turn of the event loop (no
    stall of the window) is longer than the slowest panel. The runner waits until it is done.

    "Then" means: :data:`PAINT_GRACE_MS` after the refresh before, and if a repaint began meanwhile
    (it is over when the timer can fire), a turn later (:data:`QUIET_MS`), or after another grace
    period if a relayout began (it asks for another repaint); at the latest :data:`MAX_WAIT_MS`
    after the refresh before. Without that, the next refresh ran right after a long repaint (the
    canvas, a plot) in the same stall of the window."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pending: list[tuple[int, Callable[[], None], QObject | None]] = []
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._next)
        self._wait = 0  # ms still to wait: a repaint or a relayout began since the timer started
        self._waiting_since = 0.0
        self._filtering = False  # the application's event filter while waiting between refreshes

    @property
    def busy(self) -> bool:
        return bool(self.pending) or self.timer.isActive()

    def request(self, key: int, fn: Callable[[], None], owner: QObject | None = None) -> None:
        """Run ``fn`` in a later turn of the event loop (once, however often it is requested); not at
        all if ``owner`` (the widget it refreshes) has been deleted by then."""
        if all(k != key for k, _, _ in self.pending):
            self.pending.append((key, fn, owner))
        if not self.timer.isActive():
            self._wait = 0
            self.timer.start(0)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Between two refreshes: notice repaints and relayouts (the scheduler is the application's
        event filter only meanwhile)."""
        wait = PAINT_EVENTS.get(event.type())
        if wait is not None and wait > self._wait:
            self._wait = wait
        return False

    def _next(self) -> None:
        if self._wait and (time.perf_counter() - self._waiting_since) * 1000 < MAX_WAIT_MS:
            wait, self._wait = self._wait, 0  # the window repainted or relaid out meanwhile
            self.timer.start(wait)
            return
        self._watch(False)
        if not self.pending:
            return
        _key, fn, owner = self.pending.pop(0)
        try:
            if owner is None or shiboken6.isValid(owner):
                fn()
        finally:
            if self.pending:
                self._wait = 0
                self._waiting_since = time.perf_counter()
                self._watch(True)
                self.timer.start(PAINT_GRACE_MS)

    def _watch(self, on: bool) -> None:
        app = QCoreApplication.instance()
        if app is None or on == self._filtering:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
        self._filtering = on


_scheduler: FrameScheduler | None = None


def frame_scheduler() -> FrameScheduler:
    """The application's frame scheduler (created on first use)."""
    global _scheduler
    if _scheduler is None:
        _scheduler = FrameScheduler(QCoreApplication.instance())
        _scheduler.destroyed.connect(_forget_scheduler)
    return _scheduler


def _forget_scheduler(*_args) -> None:
    global _scheduler
    _scheduler = None


def hidden(widget: QWidget) -> bool:
    """True when nothing of ``widget`` is on screen (closed, or a dock behind another tab)."""
    return not widget.isVisible() or widget.visibleRegion().isEmpty()


class Throttle(QObject):
    """Refreshes a panel: at once when idle; while ``busy()`` (a run streams snapshots) once per
    snapshot, each of its ``parts`` (e.g. one plot each) in its own turn of the event loop
    (:class:`FrameScheduler`), and not at all while the panel is hidden (it catches up when it is
    shown: :meth:`shown`)."""

    def __init__(
        self,
        parts: Callable[[], None] | Sequence[Callable[[], None]],
        busy: Callable[[], bool],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.parts = [parts] if callable(parts) else list(parts)
        self.busy = busy
        self.widget = parent
        self.stale = False

    def __call__(self, *_args) -> None:
        if self.busy():
            if hidden(self.widget):
                self.stale = True
            else:
                for i, part in enumerate(self.parts):
                    frame_scheduler().request(hash((id(self), i)), part, self.widget)
        else:
            self.now()

    def shown(self) -> None:
        """The panel became visible: catch up if a refresh was skipped while it was hidden."""
        if self.stale:
            self.now()

    def now(self) -> None:
        self.stale = False
        for part in self.parts:
            part()


def write_csv(path: str | Path, header: Sequence[str], columns: Sequence[np.ndarray]) -> None:
    """Columns of possibly different lengths side by side; missing and NaN cells are empty."""
    n = max((len(c) for c in columns), default=0)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(n):
            row = []
            for c in columns:
                v = c[i] if i < len(c) else None
                if v is None or (isinstance(v, float) and not np.isfinite(v)):
                    row.append("")
                elif isinstance(v, (float, np.floating)):
                    row.append(repr(float(v)))
                else:
                    row.append(str(v))
            w.writerow(row)


def paint_to_file(kind: str, path: Path, size: QSize, paint: Callable[[QPainter, int, int], None]) -> None:
    """A picture drawn by ``paint(painter, width, height)`` written as PNG (at twice the size, at least
    800 px wide: crisp on slides) or SVG (vector graphics); OSError if it cannot be written."""
    w, h = max(size.width(), 1), max(size.height(), 1)
    if kind == "svg":
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(QSize(w, h))
        gen.setViewBox(QRectF(0, 0, w, h))
        p = QPainter()
        if not p.begin(gen):
            raise OSError(f"cannot write {path}")
        paint(p, w, h)
        p.end()
        if not path.exists():
            raise OSError(f"cannot write {path}")
        return
    factor = max(2.0, 800.0 / w)
    image = QImage(round(w * factor), round(h * factor), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(factor, factor)
    paint(p, w, h)
    p.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")


class ExportButton(QToolButton):
    """The Export menu: the plot as PNG or SVG, its data as CSV.

    The picture is pyqtgraph's export of ``scene_item()``; or, for a view that paints itself (Hinton
    diagrams, the chain rule's table), ``painter``: (size, paint(painter, width, height)) for
    :func:`paint_to_file`."""

    def __init__(
        self,
        owner: QWidget,
        scene_item: Callable[[], object] | None,
        csv_data: Callable[[], tuple[list[str], list[np.ndarray]]],
        name: str,
        painter: Callable[[], tuple[QSize, Callable[[QPainter, int, int], None]]] | None = None,
    ) -> None:
        super().__init__(owner)
        self.owner = owner
        self.scene_item = scene_item
        self.painter = painter
        self.csv_data = csv_data
        self.name = name
        self.setText("Export")
        self.setToolTip("Save this plot as an image (PNG, SVG) or its numbers as CSV")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.png_action = QAction("Image (PNG)…", self, triggered=lambda: self.export("png"))
        self.svg_action = QAction("Vector image (SVG)…", self, triggered=lambda: self.export("svg"))
        self.csv_action = QAction("Data (CSV)…", self, triggered=lambda: self.export("csv"))
        for a in (self.png_action, self.svg_action, self.csv_action):
            menu.addAction(a)
        self.setMenu(menu)

    def export(self, kind: str, path: str | None = None) -> Path | None:
        """Write the plot (png/svg) or its data (csv) to ``path`` (asked for when None)."""
        filters = {"png": "PNG images (*.png)", "svg": "SVG images (*.svg)", "csv": "CSV files (*.csv)"}
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self.owner, f"Export {self.name}", f"{self.name}.{kind}", filters[kind]
            )
            if not path:
                return None
        target = Path(path)
        if target.suffix.lower() != f".{kind}":
            target = target.with_name(target.name + f".{kind}")
        try:
            if kind == "csv":
                header, columns = self.csv_data()
                write_csv(target, header, columns)
            elif self.painter is not None:
                size, paint = self.painter()
                paint_to_file(kind, target, size, paint)
            else:
                assert self.scene_item is not None
                item = self.scene_item()
                exporter = (
                    pg.exporters.ImageExporter(item) if kind == "png" else pg.exporters.SVGExporter(item)
                )
                if kind == "png":
                    params = exporter.parameters()
                    params["width"] = max(int(params["width"]) * 2, 800)  # crisp on slides
                exporter.export(str(target))
        except OSError as exc:
            QMessageBox.warning(
                self.owner, "Export failed", f"Could not write {target}: {exc.strerror or exc}"
            )
            return None
        return target


#: what plots stacked need to spare (pixels) to go side by side (they go back only when they overflow)
SWITCH_SPARE = 20
#: the least width (pixels) of a plot's data area beside another plot
LEAST_DATA_WIDTH = 60


def title_width(plot: pg.PlotItem, title: str, points: float | None = None) -> float:
    """The width (pixels) ``title`` takes as ``plot``'s title, at its size (:func:`set_title`) or at
    ``points``."""
    font = QFont()
    size = getattr(plot, "_bp_title", ("", 10.0))[1] if points is None else points
    font.setPointSizeF(scaled_points(size))
    return QFontMetricsF(font).horizontalAdvance(title) + 8


def fit_side_by_side(
    widget: pg.GraphicsLayoutWidget, *plots: tuple[pg.PlotItem, str], spare: float = 0.0
) -> bool:
    """True when the ``(plot, title)`` pairs fit next to each other in ``widget``'s width, each with
    that title: per plot its left axis as it is now (tick labels and name) and beside it the larger of
    the title's width and :data:`LEAST_DATA_WIDTH` (pyqtgraph puts the title over the data area
    only); and the layout's spacing. Beyond that, pyqtgraph would draw them past the widget's edge,
    cut off. An axis that grows later (longer tick labels) calls for a new check (:func:`on_resize`).
    ``spare``: pixels that must be left over (plots put side by side then stay so while their axes
    change a little, rather than going back and forth)."""
    least = spare
    for plot, title in plots:
        axis = plot.getAxis("left")
        axis_w = axis.width() if axis.isVisible() else 0.0
        least += axis_w + max(title_width(plot, title), LEAST_DATA_WIDTH)
    gaps = widget.ci.layout.horizontalSpacing() * (len(plots) - 1) + 4
    return widget.width() >= least + gaps


def side_by_side(
    panel: QWidget,
    widget: pg.GraphicsLayoutWidget,
    plots: tuple[pg.PlotItem, pg.PlotItem],
    titles: tuple[str, str],
    short_titles: tuple[str, str],
    now: tuple[bool, bool],
) -> tuple[bool, bool]:
    """(side by side, with the whole titles) for two plots of ``panel`` in ``widget``: side by side in
    a low, wide area (width over 1.3 × the height that shows) when both fit its width, with their
    whole titles if those fit too, else with the short ones; else one under the other, with the
    whole titles where each fits the width alone. ``now`` is the current arrangement, kept unless
    the other one fits with :data:`SWITCH_SPARE` to spare."""

    def stacked() -> tuple[bool, bool]:  # (a title's width changes no axis: no need to hold back)
        return False, all(fit_side_by_side(widget, pair) for pair in zip(plots, titles))

    if widget.width() <= 1.3 * visible_height(panel, widget):
        return stacked()

    def fits(names: tuple[str, str], keep: bool) -> bool:
        pairs = list(zip(plots, names))
        return fit_side_by_side(widget, *pairs, spare=0.0 if keep else SWITCH_SPARE)

    if fits(titles, now == (True, True)):
        return True, True
    if fits(short_titles, now[0]):
        return True, False
    return stacked()


def visible_height(panel: QWidget, widget: QWidget) -> int:
    """The height of ``widget`` (in ``panel``) that shows: a panel in a dock's scroll area may be
    taller than the area (its least height), and what lies below the area's edge is not seen."""
    parent = panel.parentWidget()
    area = parent.parentWidget() if parent is not None else None
    if isinstance(area, QScrollArea) and area.widget() is panel:
        return max(0, widget.height() - max(0, panel.height() - area.viewport().height()))
    return widget.height()


class _ResizeWatch(QObject):
    def __init__(self, widget: QObject, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self.callback = callback
        self._pending = False
        widget.installEventFilter(self)

    def later(self) -> None:
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self, self._call)

    def _call(self) -> None:
        self._pending = False
        self.callback()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.callback()
        return False


def on_resize(widget: QObject, callback: Callable[[], None], *plots: pg.PlotItem) -> None:
    """Call ``callback`` whenever ``widget`` has a new size, or a left axis of ``plots`` a new width
    (its tick labels once data is drawn: the plots may no longer fit side by side). A panel arranging
    its plots watches its plot widget itself: in the panel's own resizeEvent the plot widget may not
    have its new size yet (a panel shown for the first time gets its size before its layout sizes
    the children). Axis changes are answered once the layout is done (one call for any number)."""
    watch = _ResizeWatch(widget, callback)
    for plot in plots:
        plot.getAxis("left").geometryChanged.connect(watch.later)
