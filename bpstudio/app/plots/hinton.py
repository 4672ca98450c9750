"""Hinton diagrams of the weights (issue 15.5): one per weight layer, a square per weight whose area is
proportional to |w| (relative to the largest |w| of all layers, so layers compare at a glance) and
whose colour is its sign (orange +, blue −, as on the canvas). Rows are the neurons a layer feeds,
columns the neurons it comes from, as in the weight matrix Wˡ (to × from). A removed connection is an
empty cell with a small cross. A layer with more weights than :data:`SQUARES_UP_TO` is drawn as a
colour map instead (one cell per weight, its strength the colour's strength): squares of a pixel or two
would show nothing.

The geometry is computed without Qt (:func:`layout_diagrams`, :func:`squares`) so that it is tested
on its own; the widget only paints it and names the weight under the mouse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...teaching.labels import layer_title
from ..theme import canvas_colours

#: a layer with at most this many weights is drawn as squares, a larger one as a colour map
SQUARES_UP_TO = 2_500
MARGIN = 8.0
TITLE_HEIGHT = 18.0
FOOTER_HEIGHT = 18.0  # the key under the diagrams
GAP = 16.0


@dataclass(frozen=True)
class Diagram:
    """Where weight layer ``layer`` (``rows`` × ``cols``) is drawn: its cells' size and top-left corner."""

    layer: int
    rows: int
    cols: int
    x: float
    y: float
    cell: float
    title_y: float = MARGIN  # the top of its title line

    @property
    def rect(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.cols * self.cell, self.rows * self.cell)

    def weight_at(self, px: float, py: float) -> tuple[int, int] | None:
        """(to, frm) of the cell at (px, py), or None outside the diagram."""
        if self.cell <= 0:
            return None
        c, r = math.floor((px - self.x) / self.cell), math.floor((py - self.y) / self.cell)
        return (r, c) if 0 <= r < self.rows and 0 <= c < self.cols else None


def layout_diagrams(
    shapes: list[tuple[int, int]], width: float, height: float, title_widths: list[float] | None = None
) -> list[Diagram]:
    """The diagrams of weight matrices of ``shapes`` (to × from) side by side in a width × height area,
    each with a title line above, all with the same cell size (the largest that fits), centred. Each
    diagram is centred in a slot as wide as its title (``title_widths``) where the room allows."""
    if not shapes:
        return []
    titles = title_widths or [0.0] * len(shapes)
    total_cols = sum(c for _, c in shapes)
    max_rows = max(r for r, _ in shapes)
    free_w = width - 2 * MARGIN - GAP * (len(shapes) - 1)
    free_h = height - 2 * MARGIN - TITLE_HEIGHT - FOOTER_HEIGHT
    cell = max(min(free_w / max(total_cols, 1), free_h / max(max_rows, 1), 48.0), 0.0)
    slots = [max(c * cell, t) for (_, c), t in zip(shapes, titles)]
    if sum(slots) > free_w:  # no room for the titles beside each other: they are shortened instead
        slots = [c * cell for _, c in shapes]
    x = max((width - sum(slots) - GAP * (len(shapes) - 1)) / 2, MARGIN)
    title_y = MARGIN + max((free_h - max_rows * cell) / 2, 0.0)  # the whole drawing centred
    top = title_y + TITLE_HEIGHT
    out = []
    for layer, ((rows, cols), slot) in enumerate(zip(shapes, slots)):
        y = top + (max_rows - rows) * cell / 2
        out.append(Diagram(layer, rows, cols, x + (slot - cols * cell) / 2, y, cell, title_y))
        x += slot + GAP
    return out


def squares(W: np.ndarray, wmax: float, cell: float) -> np.ndarray:
    """The side of each weight's square: cell·0.9·√(|w| / wmax) (area ∝ |w|); 0 for w = 0."""
    if wmax <= 0 or not np.isfinite(wmax):
        return np.zeros(W.shape)
    with np.errstate(invalid="ignore"):
        ratio = np.clip(np.abs(np.nan_to_num(W, nan=0.0, posinf=wmax, neginf=wmax)) / wmax, 0.0, 1.0)
    return cell * 0.9 * np.sqrt(ratio)


class HintonWidget(QWidget):
    """Every weight layer of the session's network as a Hinton diagram (see the module docstring)."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hintonDiagrams")
        self.session = session
        self.setMouseTracking(True)
        self.setMinimumSize(120, 80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.diagrams: list[Diagram] = []

    def _weights(self) -> tuple[list[np.ndarray], list[np.ndarray | None], float]:
        net = self.session.network
        weights = list(net.weights)
        masks = list(net.masks)
        present = [w if m is None else w[m] for w, m in zip(weights, masks)]
        finite = [np.abs(p[np.isfinite(p)]) for p in present]
        wmax = max((float(f.max()) for f in finite if f.size), default=0.0)
        return weights, masks, wmax

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        self.diagrams = self.paint(p, self.width(), self.height())
        p.end()

    def paint(self, p: QPainter, width: int, height: int) -> list[Diagram]:
        """Draw the diagrams into a width × height area (the widget, or an exported picture)."""
        weights, masks, wmax = self._weights()
        L = len(weights)
        names = [f"W{l + 1}: {layer_title(l, L)} → {layer_title(l + 1, L)}" for l in range(L)]
        p.setFont(self.font())
        fm = p.fontMetrics()
        widths = [fm.horizontalAdvance(n) + 8.0 for n in names]
        diagrams = layout_diagrams([w.shape for w in weights], width, height, widths)
        colours = canvas_colours()
        p.fillRect(QRectF(0, 0, width, height), colours.background)
        for d, W, mask, name, title_w in zip(diagrams, weights, masks, names, widths):
            x, y, w, h = d.rect
            p.setPen(colours.text)
            room = min(max(w + GAP, title_w), width - 2 * MARGIN)
            left = min(max(x + w / 2 - room / 2, MARGIN), width - MARGIN - room)  # inside the picture
            title = QRectF(left, d.title_y, room, TITLE_HEIGHT)
            elided = p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(title.width()))
            p.drawText(title, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, elided)
            p.setPen(QPen(colours.muted, 0.6))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(x, y, w, h))
            if W.size > SQUARES_UP_TO or d.cell < 3:
                self._paint_map(p, d, W, mask, wmax, colours)
            else:
                self._paint_squares(p, d, W, mask, wmax, colours)
        if diagrams:
            p.setPen(colours.muted)
            key = f"area ∝ |w| (largest {wmax:.3g}) · orange +, blue − · rows: to, columns: from"
            foot = QRectF(MARGIN, height - MARGIN - FOOTER_HEIGHT, width - 2 * MARGIN, FOOTER_HEIGHT)
            elided = p.fontMetrics().elidedText(key, Qt.TextElideMode.ElideRight, int(foot.width()))
            p.drawText(foot, Qt.AlignmentFlag.AlignCenter, elided)
        return diagrams

    def csv_data(self) -> tuple[list[str], list[np.ndarray]]:
        """Every weight: its layer, row (to), column (from), name in the notation and value (empty when
        the connection is removed)."""
        net = self.session.network
        names = self.session.names
        rows: list[tuple[int, int, int, str, float]] = []
        for l, (W, mask) in enumerate(zip(net.weights, net.masks)):
            for (j, k), w in np.ndenumerate(W):
                present = mask is None or bool(mask[j, k])
                rows.append((l + 1, j + 1, k + 1, names.weight(l, j, k), float(w) if present else np.nan))
        header = ["weight_layer", "to", "from", "name", "value"]
        columns = [np.array([r[i] for r in rows], dtype=object) for i in range(4)]
        columns.append(np.array([r[4] for r in rows], dtype=np.float64))
        return header, columns

    def _paint_squares(self, p: QPainter, d: Diagram, W, mask, wmax: float, colours) -> None:
        sides = squares(W, wmax, d.cell)
        p.setPen(Qt.PenStyle.NoPen)
        for (r, c), side in np.ndenumerate(sides):
            cx, cy = d.x + (c + 0.5) * d.cell, d.y + (r + 0.5) * d.cell
            if mask is not None and not mask[r, c]:
                p.setPen(QPen(colours.removed, 1.0))
                k = d.cell * 0.15
                p.drawLine(QPointF(cx - k, cy - k), QPointF(cx + k, cy + k))
                p.drawLine(QPointF(cx - k, cy + k), QPointF(cx + k, cy - k))
                p.setPen(Qt.PenStyle.NoPen)
                continue
            if side <= 0:
                continue
            p.setBrush(colours.positive if W[r, c] >= 0 else colours.negative)
            p.drawRect(QRectF(cx - side / 2, cy - side / 2, side, side))

    def _paint_map(self, p: QPainter, d: Diagram, W, mask, wmax: float, colours) -> None:
        """One pixel per weight, scaled up: the background mixed towards the sign's colour by |w|/wmax."""
        rows, cols = W.shape
        finite = np.nan_to_num(W, nan=0.0, posinf=wmax, neginf=-wmax)
        strength = np.zeros(W.shape) if wmax <= 0 else np.clip(np.abs(finite) / wmax, 0.0, 1.0)
        back, pos, neg = colours.background, colours.positive, colours.negative
        argb = np.empty((rows, cols, 4), dtype=np.uint8)  # B, G, R, A in memory (Format_ARGB32)
        for i, channel in enumerate((QColor.blue, QColor.green, QColor.red)):
            b = channel(back)
            target = np.where(finite >= 0, channel(pos), channel(neg))
            argb[..., i] = np.round(b + (target - b) * strength).astype(np.uint8)
        argb[..., 3] = 255
        if mask is not None:
            argb[~mask] = (back.blue(), back.green(), back.red(), 255)
        image = QImage(argb.tobytes(), cols, rows, cols * 4, QImage.Format.Format_ARGB32).copy()
        p.drawImage(QRectF(*d.rect), image)

    def weight_at(self, px: float, py: float) -> tuple[int, int, int] | None:
        """(layer, to, frm) of the weight under (px, py), or None."""
        for d in self.diagrams:
            hit = d.weight_at(px, py)
            if hit is not None:
                return (d.layer, *hit)
        return None

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        pos = event.position()
        hit = self.weight_at(pos.x(), pos.y())
        if hit is None:
            QToolTip.hideText()
            return
        layer, to, frm = hit
        net = self.session.network
        mask = net.masks[layer]
        value = "removed" if mask is not None and not mask[to, frm] else f"{net.weights[layer][to, frm]:.4g}"
        QToolTip.showText(
            event.globalPosition().toPoint(), f"{self.session.names.weight(layer, to, frm)} = {value}", self
        )
