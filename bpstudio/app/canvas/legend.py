"""The canvas legend: what colour, width, dashes and neuron fill mean. Drawn on screen and in exports."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ...teaching.labels import fmt
from ..theme import CanvasColours
from ..ui_scale import factor
from .items import label_font
from .scene import DisplayInfo

WIDTH = 236.0


def legend_lines(info: DisplayInfo) -> list[str]:
    """The legend's text, one entry per row (also used by tests and screen readers)."""
    rows = [
        "positive / negative weight",
        f"width ∝ |w|  (max |w| = {fmt(info.wmax, 3)})",
    ]
    if info.removed:
        rows.append("removed connection")
    if info.bias_nodes:
        rows.append("−1  bias node (W₀ = −b)" if info.bias_minus else "+1  bias node (w₀ on x₀ = 1)")
    fill = f"fill: {info.fill_label}"
    if info.fill != "activation" and info.fill_scale > 0:
        fill += f" (max {fmt(info.fill_scale, 3)})"
    rows.append(fill)
    if info.sample:
        rows.append(info.sample)
    return rows


def legend_size(info: DisplayInfo) -> QSize:
    fm = QFontMetricsF(label_font(8.5))
    return QSize(int(WIDTH) + 2, int(16 + len(legend_lines(info)) * (fm.height() + 4)))


def paint_legend(painter: QPainter, origin: QPointF, info: DisplayInfo, c: CanvasColours) -> QRectF:
    """Draw the legend with its top-left corner at ``origin``; returns the rectangle used."""
    font = label_font(8.5)
    fm = QFontMetricsF(font)
    rows = legend_lines(info)
    row_h = fm.height() + 4
    rect = QRectF(origin.x(), origin.y(), WIDTH, 14 + len(rows) * row_h)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    back = QColor(c.label_back)
    painter.setPen(QPen(c.muted, 0.8))
    painter.setBrush(back)
    painter.drawRoundedRect(rect, 6, 6)
    painter.setFont(font)
    x0 = rect.x() + 10
    tx = x0 + 44
    for k, text in enumerate(rows):
        y = rect.y() + 7 + k * row_h + row_h / 2
        swatch = None
        if text.startswith("positive"):  # two short swatches, in the order of the words
            painter.setPen(QPen(c.positive, 3.5))
            painter.drawLine(QPointF(x0, y), QPointF(x0 + 15, y))
            painter.setPen(QPen(c.negative, 3.5))
            painter.drawLine(QPointF(x0 + 19, y), QPointF(x0 + 34, y))
        elif text == "removed connection":
            swatch = QPen(c.removed, 1.2, Qt.PenStyle.DashLine)
        if swatch is not None:
            painter.setPen(swatch)
            painter.drawLine(QPointF(x0, y), QPointF(x0 + 34, y))
        elif text.startswith("width"):
            for i, w in enumerate((0.8, 2.2, 4.5)):
                painter.setPen(QPen(c.muted, w))
                painter.drawLine(QPointF(x0 + i * 12, y + 5), QPointF(x0 + i * 12 + 8, y - 5))
        elif text.startswith("fill"):
            grad = QLinearGradient(QPointF(x0, y), QPointF(x0 + 34, y))
            grad.setColorAt(0.0, c.negative)
            grad.setColorAt(0.5, c.neuron_fill)
            grad.setColorAt(1.0, c.positive)
            painter.setPen(QPen(c.neuron_line, 0.8))
            painter.setBrush(grad)
            painter.drawRoundedRect(QRectF(x0, y - 5, 34, 10), 3, 3)
        painter.setPen(c.text)
        painter.drawText(
            QRectF(tx, y - row_h / 2, rect.right() - tx - 6, row_h), Qt.AlignmentFlag.AlignVCenter, text
        )
    painter.restore()
    return rect


#: a canvas narrower than this (pixels) keeps the legend at its normal size, whatever the text size
NARROW_CANVAS = 1100


def legend_scale(canvas_width: float | None = None) -> float:
    """The on-screen legend's magnification: with the text size, but never above 1.25 (in a lecture
    the network, not its key, needs the room), and 1 on a narrow canvas (a projector of 1024 pixels)."""
    k = min(factor(), 1.25)
    return min(k, 1.0) if canvas_width is not None and canvas_width < NARROW_CANVAS else k


#: what the folded legend shows (it opens upwards from the canvas's bottom-left corner)
CHIP_TEXT = "Legend ▴"


def chip_size() -> QSize:
    """The folded legend's size at magnification 1: one line of its label font."""
    fm = QFontMetricsF(label_font(8.5))
    return QSize(int(fm.horizontalAdvance(CHIP_TEXT) + 20), int(fm.height() + 10))


class LegendWidget(QWidget):
    """The legend as a small overlay in a corner of the canvas (transparent to the mouse).

    On a small canvas (a projector, a laptop at 150 %) the view folds it into a one-line "Legend" chip
    so that the network is drawn larger (:meth:`set_folded`); a click on the chip opens the whole legend
    over the drawing, another click folds it again (``toggled`` then asks the view to place it anew).
    """

    toggled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("canvasLegend")
        self.info = DisplayInfo()
        self.colours: CanvasColours | None = None
        self.k = 1.0  # the magnification it is drawn at (legend_scale)
        self.folded = False  # the canvas is small: only the chip shows …
        self.opened = False  # … unless the user opened it with a click
        self._apply()

    def set_info(self, info: DisplayInfo, colours: CanvasColours, canvas_width: float | None = None) -> None:
        self.info, self.colours = info, colours
        self.k = legend_scale(canvas_width)  # grows with the window's text size
        self._apply()

    def full_size(self) -> QSize:
        """The whole legend's size on screen (what it takes when not folded)."""
        size = legend_size(self.info)
        return QSize(round(size.width() * self.k), round(size.height() * self.k))

    def chip_size(self) -> QSize:
        chip = chip_size()
        return QSize(round(chip.width() * self.k), round(chip.height() * self.k))

    def footprint(self) -> QSize:
        """The corner of the canvas the drawing leaves free for the legend: the chip while folded (an
        opened chip lies over the drawing), else the whole legend."""
        return self.chip_size() if self.folded else self.full_size()

    def set_folded(self, folded: bool) -> None:
        if folded != self.folded:
            self.folded, self.opened = folded, False
            self._apply()

    def showing_chip(self) -> bool:
        return self.folded and not self.opened

    def _apply(self) -> None:
        if self.showing_chip():
            self.resize(self.chip_size())
        else:
            self.resize(self.full_size())
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, not self.folded)
        if self.folded:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setToolTip(
                "Click to fold the legend"
                if self.opened
                else "Click to show the legend (folded: the canvas is small)"
            )
        else:
            self.unsetCursor()
            self.setToolTip("")
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if not self.folded:
            return super().mousePressEvent(event)
        self.opened = not self.opened
        self._apply()
        self.toggled.emit()
        event.accept()
        return None

    def text(self) -> str:
        return "\n".join(legend_lines(self.info))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.colours is None:
            return
        p = QPainter(self)
        p.scale(self.k, self.k)
        if self.showing_chip():
            paint_chip(p, self.colours)
        else:
            paint_legend(p, QPointF(0.5, 0.5), self.info, self.colours)
        p.end()


def paint_chip(painter: QPainter, c: CanvasColours) -> None:
    """The folded legend: its name in a rounded box like the legend's."""
    size = chip_size()
    rect = QRectF(0.5, 0.5, size.width() - 1, size.height() - 1)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(c.muted, 0.8))
    painter.setBrush(QColor(c.label_back))
    painter.drawRoundedRect(rect, 6, 6)
    painter.setFont(label_font(8.5))
    painter.setPen(c.text)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, CHIP_TEXT)
