"""The edges of one weight layer, drawn in bulk: one graphics item per layer, not one per connection.

Edges are grouped by sign and by width (|w| quantised into a few steps) and each group is drawn with a
single ``QPainter.drawLines`` call, so a 784-30-10 network's 23,820 connections cost a few dozen draw
calls. Layers with many edges are cached as a device-coordinate pixmap (panning only blits it), drawn
translucent so their density reads as shading, and drawn without antialiasing; until the user zooms in
past FULL_DETAIL_LOD such a layer shows only its LOD_EDGES strongest connections (level of detail).
Removed connections are dashed so they can still be selected and restored.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ..theme import CanvasColours
from .layout import point_segment_distance

WIDTH_STEPS = 8
MIN_WIDTH = 0.7
MAX_WIDTH = 5.0
CACHE_ABOVE = 1500  # edges: above this the layer is cached as a pixmap
TRANSLUCENT_ABOVE = 400
LOD_EDGES = 3000  # zoomed out, a layer with more connections shows only its strongest LOD_EDGES
FULL_DETAIL_LOD = 2.5  # zoom (scene → device scale) from which every connection is drawn


def edge_width(magnitude: np.ndarray, wmax: float) -> np.ndarray:
    """Line width for |w|: MIN_WIDTH + (MAX_WIDTH − MIN_WIDTH)·|w|/max|w|, in WIDTH_STEPS steps."""
    frac = np.clip(magnitude / wmax, 0.0, 1.0) if wmax > 0 else np.zeros_like(magnitude)
    step = np.round(frac * (WIDTH_STEPS - 1))
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * step / (WIDTH_STEPS - 1)


def _lines(a: np.ndarray, b: np.ndarray) -> list[QLineF]:
    return [QLineF(x0, y0, x1, y1) for (x0, y0), (x1, y1) in zip(a.tolist(), b.tolist())]


class EdgeLayerItem(QGraphicsItem):
    """All connections of weight layer ``layer`` (and its bias edges when biases are drawn as nodes)."""

    def __init__(self, layer: int) -> None:
        super().__init__()
        self.layer = layer
        self.setZValue(0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._bounds = QRectF()
        self._specs: list = []
        self._bias_groups: list[tuple[QPen, list[QLineF]]] = []
        self._groups_by_detail: dict[bool, list[tuple[QPen, list[QLineF]]]] = {}
        self._keep: np.ndarray | None = None
        self._antialias = True
        self.starts = np.zeros((0, 2))
        self.ends = np.zeros((0, 2))
        self.shape_tf = (0, 0)  # (n_to, n_from) of the drawn segments
        self.bundled = False
        self.bias_starts: np.ndarray | None = None
        self.bias_ends: np.ndarray | None = None
        self.n_edges = 0

    # ------------------------------------------------------------------ data
    def set_geometry(
        self,
        starts: np.ndarray,
        ends: np.ndarray,
        bundled: bool,
        bias: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        """Segments of shape (n_to, n_from, 2); ``bundled`` when a side is a collapsed block."""
        self.prepareGeometryChange()
        self.shape_tf = starts.shape[:2]
        self.starts = np.ascontiguousarray(starts.reshape(-1, 2))
        self.ends = np.ascontiguousarray(ends.reshape(-1, 2))
        self.bundled = bundled
        self.bias_starts, self.bias_ends = (None, None) if bias is None else bias
        pts = [self.starts, self.ends] + ([] if bias is None else list(bias))
        allp = np.concatenate(pts) if pts and sum(len(p) for p in pts) else np.zeros((1, 2))
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        self._bounds = QRectF(QPointF(*lo), QPointF(*hi)).adjusted(-4, -4, 4, 4)
        self.n_edges = len(self.starts)
        many = self.n_edges > CACHE_ABOVE
        self.setCacheMode(
            QGraphicsItem.CacheMode.DeviceCoordinateCache if many else QGraphicsItem.CacheMode.NoCache
        )
        self._antialias = not many

    def set_values(
        self,
        weights: np.ndarray,
        mask: np.ndarray | None,
        biases: np.ndarray | None,
        wmax: float,
        colours: CanvasColours,
    ) -> None:
        """Colour by sign and width by |w| (relative to ``wmax``, the largest |w| in the network)."""
        specs: list[tuple[QColor, float, Qt.PenStyle, np.ndarray]] = []
        n = self.n_edges
        self._keep = None
        if self.bundled:
            c = QColor(colours.muted)
            c.setAlpha(170)
            specs.append((c, 1.4, Qt.PenStyle.SolidLine, np.arange(n)))
        else:
            w = weights.reshape(-1)
            present = np.ones(n, dtype=bool) if mask is None else mask.reshape(-1).astype(bool)
            widths = edge_width(np.abs(w), wmax)
            if not present.all():
                specs.append((QColor(colours.removed), 1.0, Qt.PenStyle.DashLine, np.flatnonzero(~present)))
            for sign, base in ((1, colours.positive), (-1, colours.negative)):
                sel_sign = present & ((w >= 0) if sign > 0 else (w < 0))
                for width in np.unique(widths[sel_sign]):
                    specs.append(
                        (
                            QColor(base),
                            float(width),
                            Qt.PenStyle.SolidLine,
                            np.flatnonzero(sel_sign & (widths == width)),
                        )
                    )
            if n > LOD_EDGES:  # zoomed out, only the strongest connections are drawn
                strength = np.where(present, np.abs(w), -1.0)
                keep = np.zeros(n, dtype=bool)
                keep[np.argpartition(-strength, LOD_EDGES)[:LOD_EDGES]] = True
                self._keep = keep
        self._specs = specs
        self._bias_groups = []
        if biases is not None and self.bias_starts is not None:
            widths = edge_width(np.abs(biases), wmax)
            for i, b in enumerate(biases.tolist()):
                c = colours.positive if b >= 0 else colours.negative
                line = _lines(self.bias_starts[i : i + 1], self.bias_ends[i : i + 1])
                self._bias_groups.append((QPen(c, float(widths[i])), line))
        self._groups_by_detail: dict[bool, list[tuple[QPen, list[QLineF]]]] = {}
        if self.cacheMode() != QGraphicsItem.CacheMode.NoCache:
            self.setCacheMode(self.cacheMode())  # drop the cached pixmap
        self.update()

    @property
    def drawn_when_zoomed_out(self) -> int:
        """How many connections are drawn below FULL_DETAIL_LOD."""
        return self.n_edges if self._keep is None else int(self._keep.sum())

    def groups(self, coarse: bool) -> list[tuple[QPen, list[QLineF]]]:
        """(pen, lines) to draw: all connections, or with ``coarse`` only the strongest LOD_EDGES."""
        coarse = coarse and self._keep is not None
        if coarse not in self._groups_by_detail:
            drawn = self.drawn_when_zoomed_out if coarse else self.n_edges
            alpha = (
                255 if drawn <= TRANSLUCENT_ABOVE else max(45, int(255 * np.sqrt(TRANSLUCENT_ABOVE / drawn)))
            )
            out = []
            for colour, width, style, idx in self._specs:
                if coarse:
                    idx = idx[self._keep[idx]]
                if not len(idx):
                    continue
                c = QColor(colour)
                if style == Qt.PenStyle.SolidLine and not self.bundled:
                    c.setAlpha(alpha)
                pen = QPen(c, width, style)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                out.append((pen, _lines(self.starts[idx], self.ends[idx])))
            self._groups_by_detail[coarse] = out + self._bias_groups
        return self._groups_by_detail[coarse]

    def lines_for(self, edges: list[tuple[int, int]], bias: list[int]) -> list[QLineF]:
        """Segments of the edges (to, frm) and of the bias edges of neurons ``bias`` (for highlighting)."""
        n_to, n_from = self.shape_tf
        out: list[QLineF] = []
        idx = [to * n_from + frm for to, frm in edges if 0 <= to < n_to and 0 <= frm < n_from]
        if idx and not self.bundled:
            out += _lines(self.starts[idx], self.ends[idx])
        if bias and self.bias_starts is not None and not self.bundled:
            # a collapsed layer draws one bundled bias edge, not one per neuron: nothing to pick out
            rows = [b for b in bias if 0 <= b < len(self.bias_starts)]
            if rows:
                out += _lines(self.bias_starts[rows], self.bias_ends[rows])
        return out

    # ------------------------------------------------------------------ hit testing
    def edge_at(self, pos: QPointF, tolerance: float) -> tuple[int, int] | None:
        """(to, frm) of the edge nearest ``pos`` within ``tolerance``, or None."""
        if self.bundled or self.n_edges == 0 or not self._bounds.contains(pos):
            return None
        d = point_segment_distance((pos.x(), pos.y()), self.starts, self.ends)
        i = int(np.argmin(d))
        if d[i] > tolerance:
            return None
        n_from = self.shape_tf[1]
        return i // n_from, i % n_from

    def bias_edge_at(self, pos: QPointF, tolerance: float) -> int | None:
        if self.bias_starts is None:
            return None
        d = point_segment_distance((pos.x(), pos.y()), self.bias_starts, self.bias_ends)
        i = int(np.argmin(d))
        return i if d[i] <= tolerance else None

    # ------------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, self._antialias or lod > 1.5)
        for pen, lines in self.groups(coarse=lod < FULL_DETAIL_LOD):
            painter.setPen(pen)
            painter.drawLines(lines)
