"""Graphics items of the canvas other than edges: a layer of neurons, the edge labels, the highlight.

A :class:`NeuronLayerItem` draws a whole layer (column of circles, grid of cells or collapsed block)
with its header, names, value labels and "+1" bias node; hit-testing maps a point to a neuron index.
Numbers arrive already computed by the engine; items only choose colours and positions.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ..theme import CanvasColours
from .layout import GRID_SPACING, HEADER_GAP, LayerGeometry


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """The colour a + (b − a)·t."""
    t = min(max(t, 0.0), 1.0)
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        1.0,
    )


def value_fill(value: float, scale: float, colours: CanvasColours) -> QColor:
    """Neuron fill: the plain fill at 0, towards orange for positive and blue for negative values."""
    if scale <= 0 or not np.isfinite(value):
        return QColor(colours.neuron_fill)
    target = colours.positive if value >= 0 else colours.negative
    return mix(colours.neuron_fill, target, 0.85 * min(abs(value) / scale, 1.0))


def label_font(point_size: float = 8.5, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(point_size)
    f.setBold(bold)
    return f


class NeuronLayerItem(QGraphicsItem):
    """Neuron layer ``geometry.index``: its neurons, header, names, value labels and bias node."""

    def __init__(self, geometry: LayerGeometry, text: float = 1.0) -> None:
        super().__init__()
        self.g = geometry
        self.text = text  # the text scale (the window's text size): fonts and the header grow with it
        self.setZValue(2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.title = ""
        self.detail = ""
        #: the constant the bias node feeds: "+1" (w₀ on x₀ = 1) or "−1" (W₀ on x₀ = −1)
        self.bias_text = "+1"
        self.names: list[str] = []
        self.values: np.ndarray | None = None
        self.scale = 1.0
        self.value_lines: list[list[str]] = []
        self.value_rects: list[QRectF] = []
        self.colours: CanvasColours | None = None
        self.bias_radius = 15.0
        # a neuron's name must still fit in its circle, which does not grow with the text
        self._name_font = label_font((10.5 if geometry.radius >= 20 else 8.0) * min(text, 1.4))
        self._value_font = label_font(9.0 * text)
        self._title_font = label_font(9.5 * text, bold=True)
        self._detail_font = label_font(9.0 * text)
        x, y, w, h = geometry.rect
        top = y - (HEADER_GAP + 14) * text
        if geometry.bias is not None:
            top = min(top, geometry.bias[1] - self.bias_radius - 4)
        self._header_rect = QRectF(
            geometry.x - 110 * text, y - (HEADER_GAP + 14) * text, 220 * text, (HEADER_GAP + 6) * text
        )
        self._bounds = QRectF(x - 90 * text, top, w + 180 * text, h + (y - top) + 120 * text)

    def set_content(
        self,
        title: str,
        detail: str,
        names: list[str],
        values: np.ndarray | None,
        scale: float,
        value_lines: list[list[str]],
        colours: CanvasColours,
    ) -> None:
        self.title, self.detail, self.names = title, detail, names
        self.values, self.scale = values, scale
        self.value_lines = value_lines
        self.colours = colours
        self.value_rects = self._value_rects()
        self.update()

    def _value_rects(self) -> list[QRectF]:
        fm = QFontMetricsF(self._value_font)
        rects = []
        g = self.g
        for i, lines in enumerate(self.value_lines):
            if not lines or g.collapsed or g.grid:
                rects.append(QRectF())
                continue
            w = max(fm.horizontalAdvance(t) for t in lines) + 6
            h = fm.height() * len(lines) + 2
            cx, cy = float(g.xs[i]), float(g.ys[i]) + g.radius + 2
            rects.append(QRectF(cx - w / 2, cy, w, h))
        return rects

    # ------------------------------------------------------------------ hit testing
    def neuron_at(self, pos: QPointF) -> int | None:
        g = self.g
        if g.collapsed or g.size == 0:
            return None
        if g.grid:
            x, y, w, h = g.rect
            if not (x <= pos.x() < x + w and y <= pos.y() < y + h):
                return None
            cols = int(round(w / GRID_SPACING))
            i = int((pos.y() - y) // GRID_SPACING) * cols + int((pos.x() - x) // GRID_SPACING)
            return i if 0 <= i < g.size else None
        d = np.hypot(g.xs - pos.x(), g.ys - pos.y())
        i = int(np.argmin(d))
        return i if d[i] <= g.radius + 3 else None

    def block_at(self, pos: QPointF) -> bool:
        x, y, w, h = self.g.rect
        return self.g.collapsed and QRectF(x, y, w, h).contains(pos)

    def header_at(self, pos: QPointF) -> bool:
        return self._header_rect.contains(pos)

    def bias_node_at(self, pos: QPointF) -> bool:
        b = self.g.bias
        return b is not None and np.hypot(pos.x() - b[0], pos.y() - b[1]) <= self.bias_radius + 2

    def neuron_rect(self, i: int) -> QRectF:
        g = self.g
        if g.collapsed:
            return QRectF(*g.rect)
        if g.grid:
            s = GRID_SPACING / 2
            return QRectF(g.xs[i] - s, g.ys[i] - s, 2 * s, 2 * s)
        r = g.radius
        return QRectF(g.xs[i] - r, g.ys[i] - r, 2 * r, 2 * r)

    # ------------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        c = self.colours
        if c is None:
            return
        g = self.g
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        self._paint_header(painter, c)
        if g.collapsed:
            self._paint_block(painter, c)
        elif g.grid:
            self._paint_grid(painter, c)
        else:
            self._paint_column(painter, c, lod)
        if g.bias is not None:
            self._paint_bias(painter, c)

    def _paint_header(self, painter: QPainter, c: CanvasColours) -> None:
        r = self._header_rect
        fm = QFontMetricsF(self._title_font)
        width = max(
            fm.horizontalAdvance(self.title), QFontMetricsF(self._detail_font).horizontalAdvance(self.detail)
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.label_back)
        t = self.text
        painter.drawRoundedRect(QRectF(r.center().x() - width / 2 - 5, r.y(), width + 10, 32 * t), 4, 4)
        painter.setPen(c.text)
        painter.setFont(self._title_font)
        painter.drawText(QRectF(r.x(), r.y(), r.width(), 16 * t), Qt.AlignmentFlag.AlignCenter, self.title)
        painter.setPen(c.muted)
        painter.setFont(self._detail_font)
        painter.drawText(
            QRectF(r.x(), r.y() + 16 * t, r.width(), 15 * t), Qt.AlignmentFlag.AlignCenter, self.detail
        )

    def _fill(self, i: int, c: CanvasColours) -> QColor:
        if self.values is None or i >= len(self.values):
            return QColor(c.neuron_fill)
        return value_fill(float(self.values[i]), self.scale, c)

    def _paint_block(self, painter: QPainter, c: CanvasColours) -> None:
        rect = QRectF(*self.g.rect)
        painter.setPen(QPen(c.neuron_line, 1.5))
        painter.setBrush(QBrush(c.block_fill))
        painter.drawRoundedRect(rect, 10, 10)
        if self.values is not None and len(self.values):  # a strip of the layer's values, as cells
            n = len(self.values)
            cols = 8
            rows = -(-n // cols)
            cell = min((rect.width() - 16) / cols, 90.0 / rows)
            top = rect.bottom() - 12 - rows * cell
            painter.setPen(Qt.PenStyle.NoPen)
            for i in range(n):
                painter.setBrush(self._fill(i, c))
                painter.drawRect(
                    QRectF(rect.x() + 8 + (i % cols) * cell, top + (i // cols) * cell, cell, cell)
                )
        painter.setPen(c.text)
        painter.setFont(self._title_font)
        text_rect = QRectF(rect.x(), rect.y() + 14, rect.width(), 60)
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, f"{self.g.size}\nneurons"
        )
        painter.setPen(c.muted)
        painter.setFont(self._value_font)
        painter.drawText(
            QRectF(rect.x(), rect.y() + 58, rect.width(), 40),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            "double-click\nto expand",
        )

    def _paint_grid(self, painter: QPainter, c: CanvasColours) -> None:
        g = self.g
        x, y, w, h = g.rect
        painter.setPen(QPen(c.muted, 1.0))
        painter.setBrush(c.block_fill)  # an opaque plate: edges behind the grid do not show through
        painter.drawRect(QRectF(x - 2, y - 2, w + 4, h + 4))
        painter.setPen(Qt.PenStyle.NoPen)
        s = GRID_SPACING - 1.5
        for i in range(g.size):
            painter.setBrush(self._fill(i, c))
            painter.drawRect(QRectF(g.xs[i] - s / 2, g.ys[i] - s / 2, s, s))

    def _paint_column(self, painter: QPainter, c: CanvasColours, lod: float) -> None:
        g = self.g
        painter.setPen(QPen(c.neuron_line, 1.6))
        r = g.radius
        for i in range(g.size):
            painter.setBrush(self._fill(i, c))
            painter.drawEllipse(QPointF(g.xs[i], g.ys[i]), r, r)
        if r >= 9 and lod * r > 5:
            painter.setFont(self._name_font)
            for i, name in enumerate(self.names):
                if name:
                    fill = self._fill(i, c)
                    painter.setPen(QColor("#111111") if fill.lightness() > 140 else QColor("#f5f5f5"))
                    rect = QRectF(g.xs[i] - r, g.ys[i] - r, 2 * r, 2 * r)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)
        if lod > 0.35:
            painter.setFont(self._value_font)
            fm = QFontMetricsF(self._value_font)
            for rect, lines in zip(self.value_rects, self.value_lines):
                if not lines or rect.isNull():
                    continue
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(c.label_back)
                painter.drawRoundedRect(rect, 3, 3)
                painter.setPen(c.text)
                for k, t in enumerate(lines):
                    painter.drawText(
                        QRectF(rect.x(), rect.y() + 1 + k * fm.height(), rect.width(), fm.height()),
                        Qt.AlignmentFlag.AlignCenter,
                        t,
                    )

    def _paint_bias(self, painter: QPainter, c: CanvasColours) -> None:
        bx, by = self.g.bias  # type: ignore[misc]
        painter.setPen(QPen(c.neuron_line, 1.4))
        painter.setBrush(c.bias_fill)
        painter.drawEllipse(QPointF(bx, by), self.bias_radius, self.bias_radius)
        painter.setPen(c.text)
        painter.setFont(self._value_font)
        r = self.bias_radius
        painter.drawText(QRectF(bx - r, by - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, self.bias_text)


class LabelsItem(QGraphicsItem):
    """Numeric labels of edges: text on a translucent plate at a precomputed, non-overlapping spot."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(6)  # above the highlight, so a highlighted connection never hides a number
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.font = label_font(9.0)  # grows with the text scale (NetworkScene.set_text_scale)
        self.labels: list[tuple[QRectF, str, QColor]] = []
        self.colours: CanvasColours | None = None
        self._bounds = QRectF()

    def set_labels(self, labels: list[tuple[QRectF, str, QColor]], colours: CanvasColours) -> None:
        self.prepareGeometryChange()
        self.labels, self.colours = labels, colours
        r = QRectF()
        for rect, _, _ in labels:
            r = r.united(rect)
        self._bounds = r.adjusted(-2, -2, 2, 2)
        self.update()

    def label_at(self, pos: QPointF) -> int | None:
        for i, (rect, _, _) in enumerate(self.labels):
            if rect.contains(pos):
                return i
        return None

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self.colours is None:
            return
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < 0.3:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setFont(self.font)
        for rect, text, colour in self.labels:
            painter.setPen(QPen(colour, 0.8))
            painter.setBrush(self.colours.label_back)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(self.colours.text)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class HighlightItem(QGraphicsItem):
    """The selection and its connections, drawn above everything (so cached layers need no redraw)."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.lines: list = []
        self.rings: list[QRectF] = []
        self.pen_lines = QPen()
        self.pen_ring = QPen()
        self._bounds = QRectF()

    def set_highlight(self, lines: list, rings: list[QRectF], colour: QColor, width: float) -> None:
        self.prepareGeometryChange()
        self.lines, self.rings = lines, rings
        c = QColor(colour)
        c.setAlpha(200)
        self.pen_lines = QPen(c, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
        self.pen_ring = QPen(colour, 3.0)
        r = QRectF()
        for line in lines:
            r = r.united(QRectF(line.p1(), line.p2()).normalized())
        for ring in rings:
            r = r.united(ring)
        self._bounds = r.adjusted(-8, -8, 8, 8)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.lines:
            painter.setPen(self.pen_lines)
            painter.drawLines(self.lines)
        painter.setPen(self.pen_ring)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for ring in self.rings:
            painter.drawEllipse(
                ring.adjusted(-4, -4, 4, 4)
            ) if ring.width() < 60 else painter.drawRoundedRect(ring.adjusted(-4, -4, 4, 4), 10, 10)
