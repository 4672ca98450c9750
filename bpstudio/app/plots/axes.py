"""Readable plot furniture for small docks: axes whose tick labels never overlap, and a legend that is a
layout item of its own (a grid cell the plots leave free, or a row above them), so it never covers a curve.

:class:`ReadableAxis` keeps pyqtgraph's choice of ticks but decides which of them get a label from the
labels' real sizes: the major labels are thinned to every 2nd, 5th, 10th… tick until they are apart;
each finer level is labelled only if *all* its labels fit between those already there. On a log axis the
levels are the decades, then the 2 and 5 multiples, then the other multiples, so a short log axis shows
decades only (1, 0.1, 0.01) and a tall one 1, 0.5, 0.2, 0.1, …

The room an axis keeps for its labels (a vertical axis's width, a horizontal one's height) only grows
until :meth:`ReadableAxis.release`: a refresh whose labels are narrower (0.5 after 0.05) then repaints
the plot without changing the layout, which would otherwise resize the plot and repaint it two or
three times. It is measured on every candidate label of the range (all tick levels, before thinning),
so that showing or hiding a finer level does not change it either. The panels release their axes when
a run ends and when their data are reset (another network, data set, scale).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPicture, QTextOption
from PySide6.QtWidgets import QGraphicsTextItem, QSizePolicy

from ...teaching.labels import sup
from ..ui_scale import scaled_points

#: strides tried, in order, when the major tick labels do not fit (every 2nd, 5th, 10th… label)
STRIDES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
#: pixels per decade from which a log axis gets ticks at 2 and 5 times a power of ten, and at the others
LOG_TICKS_25 = 16.0
LOG_TICKS_ALL = 40.0
#: a vertical log axis keeps room for the labels of 10⁻⁵ … 10⁵ (0.0005, 5·10⁻⁵) whatever its range, so
#: that its width does not change while a curve falls through the decades
LOG_RESERVE = 5
#: how pyqtgraph measures a label (its painter's boundingRect in a 100 × 100 box)
CENTRE = Qt.AlignmentFlag.AlignCenter
#: pyqtgraph's "stop labelling finer levels" limits (labels so far, share of the axis they fill) on a
#: log axis, where this class keeps the labels apart
LOG_FILL_LIMITS = [(0, 0.9), (2, 0.75)]


def exp10(v: float) -> float:
    """10^v, ∞ beyond the largest float (where ``10.0 ** v`` raises OverflowError)."""
    return 10.0**v if v < 308.0 else math.inf


def log_label(x: float) -> str:
    """A tick label for the value ``x`` of a log axis: 0.02, 500, or 10⁻⁵ / 2·10⁶ when very small or large."""
    text = f"{x:.3g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10{sup(int(exponent))}"
    return power if mantissa == "1" else f"{mantissa}·{power}"


class ReadableAxis(pg.AxisItem):
    """An axis whose tick labels keep at least :attr:`gap` pixels apart (see the module docstring)."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self._fm: QFontMetricsF | None = None
        self._taken: list[tuple[float, float]] = []
        self._level = 0
        self._stop = False
        #: widest candidate label (pixels across the axis) of the drawing under way
        self._widest = 0.0
        # pyqtgraph's grow-only mode: the label room never shrinks by itself (see release())
        self.setStyle(autoReduceTextSpace=False)
        self.textWidth = self.textHeight = 0

    def release(self, now: bool = False) -> None:
        """Let the label room shrink to what the labels need (it only grows otherwise): after a run, or
        when the data are reset. Measured when the axis is next drawn, or with ``now`` at once (the
        range must be up to date): a narrower axis is then laid out before it is repainted, and
        nothing at all happens when the room is still right."""
        if self.vertical:
            self.textWidth = 0
        else:
            self.textHeight = 0
        if not now:
            self.picture = None
            self.update()
            return
        picture = QPicture()  # measured as paint() measures
        painter = QPainter(picture)
        try:
            if self.style["tickFont"] is not None:
                painter.setFont(self.style["tickFont"])
            self.generateDrawSpecs(painter)  # sets the room (_updateMaxTextSize)
        finally:
            painter.end()

    @property
    def label_room(self) -> float:
        """Pixels kept for the tick labels across the axis (a vertical axis's label width)."""
        return float(self.textWidth if self.vertical else self.textHeight)

    def _updateMaxTextSize(self, x: float) -> None:  # noqa: N802 (pyqtgraph's name)
        """pyqtgraph reports the widest label it draws; the room is that or the widest candidate label,
        whichever is wider, in whole pixels, and only grows (``autoReduceTextSpace`` is off)."""
        if self.vertical:
            x = max(float(x), self._widest)
        super()._updateMaxTextSize(math.ceil(x))

    @property
    def vertical(self) -> bool:
        return self.orientation in ("left", "right")

    # ------------------------------------------------------------------ which ticks
    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:
        """Decades first (pyqtgraph's levels of whole powers of ten), then the 2·10ᵏ and 5·10ᵏ ticks,
        then the other multiples, each only when a decade is long enough for them; for a range inside
        one decade, evenly spaced values instead."""
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal - minVal > 2000:
            return []  # nothing sensible to mark (a range pyqtgraph derived from non-finite data)
        levels = [(spacing, values) for spacing, values in stdTicks if spacing >= 1.0]
        if not levels:  # pyqtgraph's spacing is finer than a decade: the decades are the major ticks
            levels = [(1.0, [float(e) for e in range(math.ceil(minVal), math.floor(maxVal) + 1)])]
        decades = maxVal - minVal
        per_decade = size / decades if decades > 0 else 0.0
        lo_exp, hi_exp = int(math.floor(minVal)), int(math.ceil(maxVal))
        self._reserve_log_labels(min(lo_exp - 1, -LOG_RESERVE), max(hi_exp + 1, LOG_RESERVE))
        for mantissas, needed in (((2, 5), LOG_TICKS_25), ((3, 4, 6, 7, 8, 9), LOG_TICKS_ALL)):
            if per_decade < needed:
                break
            vals = [e + math.log10(m) for e in range(lo_exp, hi_exp) for m in mantissas]  # log10(m·10ᵉ)
            levels.append((None, [v for v in vals if minVal < v < maxVal]))
        if sum(len(v) for _, v in levels) < 2 and decades > 0:
            return self._linear_in_log(minVal, maxVal, size)
        return levels

    def _reserve_log_labels(self, lo_exp: int, hi_exp: int) -> None:
        """Count the labels of the decades lo_exp…hi_exp (1, 2 and 5 times a power of ten) among the
        candidates: a curve that falls by a decade or more then brings no wider label (0.01 → 0.0001)."""
        if not self.vertical or self._fm is None or hi_exp - lo_exp > 40:
            return
        for e in range(lo_exp, hi_exp + 1):
            for m in (1, 2, 5):
                text = log_label(m * exp10(e))
                self._widest = max(
                    self._widest, self._fm.boundingRect(QRectF(0, 0, 100, 100), CENTRE, text).width()
                )

    def _linear_in_log(self, minVal: float, maxVal: float, size: float) -> list:
        """Ticks at round values of a range too narrow for powers of ten (e.g. 0.31 to 0.47)."""
        lo, hi = exp10(minVal), exp10(maxVal)
        if not math.isfinite(hi):
            return []
        spacing = pg.AxisItem.tickSpacing(self, lo, hi, size)
        out: list = []
        seen: list[float] = []
        for step, _offset in spacing[:2]:
            start = math.ceil(lo / step) * step
            vals = [start + k * step for k in range(int((hi - start) / step) + 1)]
            new = [
                v for v in vals if v > 0 and lo <= v <= hi and not any(abs(v - u) < step / 100 for u in seen)
            ]
            seen += new
            out.append((None, [math.log10(v) for v in new]))
        return out

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [log_label(exp10(float(v)) * scale) for v in values]

    # ------------------------------------------------------------------ which labels
    def generateDrawSpecs(self, p):
        font = self.style["tickFont"] if self.style["tickFont"] is not None else p.font()
        self._fm = QFontMetricsF(font)
        self._taken, self._level, self._stop = [], 0, False
        self._widest = 0.0
        limits = self.style["textFillLimits"]
        if self.logMode:  # the labels are kept apart here; pyqtgraph's limits would drop 2·10ᵏ, 5·10ᵏ
            self.style["textFillLimits"] = LOG_FILL_LIMITS
        try:
            return super().generateDrawSpecs(p)
        finally:
            self._fm = None
            self.style["textFillLimits"] = limits

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list:
        strings = super().tickStrings(values, scale, spacing)
        if self._fm is None:  # not drawing: nothing to thin
            return strings
        level, self._level = self._level, self._level + 1
        if self.vertical:  # the room a label of this range could need, whether it is shown or not
            extent = [self._fm.boundingRect(QRectF(0, 0, 100, 100), CENTRE, s).width() for s in strings if s]
            self._widest = max([self._widest, *extent])
        if self._stop:
            return [None] * len(strings)
        spans = [self._span(float(v), s) for v, s in zip(values, strings)]
        if level == 0:
            keep = self._thin(values, spacing, spans)
        else:
            keep = [s is not None for s in spans]
            chosen = [s for s in spans if s is not None]
            if not _apart(chosen, self._taken, self.gap):
                self._stop = True  # neither this level nor a finer one gets labels
                return [None] * len(strings)
        self._taken += [s for s, k in zip(spans, keep) if k and s is not None]
        return [s if k else None for s, k in zip(strings, keep)]

    @property
    def gap(self) -> float:
        """Free space between two labels: a quarter line vertically, half a line horizontally."""
        h = self._fm.height() if self._fm is not None else 12.0
        return max(2.0, (0.25 if self.vertical else 0.5) * h)

    def _span(self, value: float, text: str | None) -> tuple[float, float] | None:
        """The interval along the axis (pixels) that the label of ``value`` covers; None if not shown."""
        if text is None or self._fm is None:
            return None
        r0, r1 = self.range
        if r1 == r0 or not np.isfinite(value):
            return None
        bounds = self.mapRectFromParent(self.geometry())
        length = bounds.height() if self.vertical else bounds.width()
        frac = (value - r0) / (r1 - r0)
        if frac < -1e-9 or frac > 1 + 1e-9:
            return None
        centre = length * (1.0 - frac) if self.vertical else length * frac
        half = (self._fm.height() if self.vertical else self._fm.horizontalAdvance(text)) / 2
        return centre - half, centre + half

    def _thin(self, values: Sequence[float], spacing: float | None, spans: list) -> list[bool]:
        """Labels to keep at the first stride whose labels are apart: every k-th tick counted from the
        round values (0, 10, 20… rather than 5, 15…)."""
        keep = [s is not None for s in spans]
        for k in STRIDES:
            if spacing:
                keep = [s is not None and round(float(v) / spacing) % k == 0 for v, s in zip(values, spans)]
            else:
                keep = [s is not None and i % k == 0 for i, s in enumerate(spans)]
            chosen = [s for s, ok in zip(spans, keep) if ok]
            if len(chosen) <= 1 or _apart(chosen, [], self.gap):
                break
        return keep


def _apart(spans: list[tuple[float, float]], taken: list[tuple[float, float]], gap: float) -> bool:
    """True when no two of ``spans`` (and no span and a ``taken`` one) come closer than ``gap``."""
    items = sorted(spans + taken)
    return all(b[0] - a[1] >= gap for a, b in zip(items, items[1:]))


# ---------------------------------------------------------------------------------------------- legend
class LegendRow(pg.GraphicsWidget):
    """A legend that takes its own place in the plots' grid (never over a curve): a short coloured line
    and a name per entry; in a row, centred and wrapping onto more lines when the dock is narrow, or
    stacked one entry per line (:meth:`set_stacked`)."""

    def __init__(self, point_size: float = 8.5) -> None:
        self._width = -1.0
        super().__init__()
        self.text = QGraphicsTextItem(self)
        self.text.setDefaultTextColor(QColor("#222"))
        self.base_points = point_size
        font = QFont()
        font.setPointSizeF(scaled_points(point_size))
        self.text.setFont(font)
        option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        self.text.document().setDefaultTextOption(option)
        self.text.document().setDocumentMargin(1)
        self.entries: list[tuple[str, str]] = []
        self.stacked = False
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_point_size(self, points: float) -> None:
        """Draw the entries at ``points`` (the window's text size changed)."""
        font = QFont()
        font.setPointSizeF(points)
        self.text.setFont(font)
        self.set_entries(self.entries)

    def set_stacked(self, stacked: bool) -> None:
        """One entry per line (a legend box in a free grid cell) or all in a row (above the plots)."""
        if stacked != self.stacked:
            self.stacked = stacked
            self.set_entries(self.entries)

    def set_entries(self, entries: Sequence[tuple[str, str]]) -> None:
        """(colour, name) per entry."""
        self.entries = list(entries)
        parts = [
            f'<span style="color:{c}">━━</span>&nbsp;{html.escape(name).replace(" ", "&nbsp;")}'
            for c, name in self.entries
        ]
        if self.stacked:  # a left-aligned block, centred as a whole
            rows = "".join(f"<tr><td>{p}</td></tr>" for p in parts)
            self.text.setHtml(f'<table align="center" cellspacing="1">{rows}</table>')
        else:
            self.text.setHtml("&nbsp;&nbsp;&nbsp; ".join(parts))
        fm = QFontMetricsF(self.text.font())
        widest = max((fm.horizontalAdvance(f"━━ {n}") for _c, n in self.entries), default=0.0)
        self.setMinimumWidth(widest + 12)
        self.setPreferredWidth(widest + 12)
        self._width = -1.0
        self._fit(max(self.geometry().width(), widest + 12))

    def _fit(self, width: float) -> None:
        """Wrap the text to ``width`` and take the height it then needs."""
        if abs(width - self._width) < 0.5:
            return
        self._width = width
        self.text.setTextWidth(width)
        h = math.ceil(self.text.document().size().height())
        if h != self.minimumHeight():
            self.setMinimumHeight(h)
            self.setPreferredHeight(h)
            self.setMaximumHeight(h)
            self.updateGeometry()

    def setGeometry(self, rect: QRectF) -> None:  # noqa: N802 (Qt's name)
        super().setGeometry(rect)
        if self.entries:
            self._fit(rect.width())

    def text_rect(self) -> QRectF:
        """Where the legend's text is drawn, in scene coordinates."""
        return self.text.sceneBoundingRect()
