"""Where everything on the network canvas goes: columns of neurons, collapsed blocks, bias nodes, labels.

Pure geometry (NumPy and plain tuples, no Qt), recomputed after every structural edit so the drawing
stays tidy. Layers are columns from left (input) to right (output), centred on y = 0:

* a layer of up to :data:`COLLAPSE_ABOVE` neurons is a column of circles, spaced to keep columns of
  different sizes in proportion;
* a larger layer is drawn as one labelled block, unless expanded, when its neurons form a grid of
  ⌈√n⌉ columns filled row by row (a 784-neuron input layer then shows as the 28 × 28 image);
* with the "+1" bias style each layer that feeds another has a bias node above its column.

Text grows with the window's text size (``text``, 1 = 100 %): the room for headers, value labels and
edge labels grows with it, the neurons do not, so large text on a small screen costs little height.

Edge labels are placed greedily: each label tries positions along its edge, nearest its preferred
spot first, and takes the first whose rectangle overlaps no neuron, no value label and no label
already placed (if none is free it takes the least-overlapping one).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

COLLAPSE_ABOVE = 32
#: columns of at most this many neurons show value labels (b, a, δ) under each neuron
LABELLED_COLUMN_MAX = 12
LAYER_GAP = 200.0
LAYER_GAP_LABELS = 200.0
#: a gap with more labelled edges than this is :data:`LAYER_GAP_DENSE` wide
DENSE_FAN = 6
LAYER_GAP_DENSE = 270.0
#: room either side of a column for its title and detail line ("2 neurons · sigmoid")
HEADER_HALF_WIDTH = 64.0
GRID_SPACING = 14.0
GRID_RADIUS = 5.0
HEADER_GAP = 34.0
BLOCK_WIDTH = 96.0
BLOCK_HEIGHT = 230.0

Rect = tuple[float, float, float, float]  # x, y, w, h


@dataclass
class LayerGeometry:
    """One neuron layer: its neuron centres (empty when collapsed), radius and outline."""

    index: int
    size: int
    x: float  # centre of the column
    xs: np.ndarray
    ys: np.ndarray
    radius: float
    collapsed: bool
    grid: bool
    rect: Rect  # the area the layer's neurons (or block) occupy
    bias: tuple[float, float] | None = None  # centre of its "+1" node (feeds the next layer)

    @property
    def top(self) -> float:
        return self.rect[1]

    def anchor_out(self) -> np.ndarray:
        """Start points of edges leaving this layer: one per neuron, or the block's right edge."""
        if self.collapsed:
            x, y, w, h = self.rect
            return np.array([[x + w, y + h / 2]])
        return np.column_stack([self.xs + (0 if self.grid else self.radius), self.ys])

    def anchor_in(self) -> np.ndarray:
        if self.collapsed:
            x, y, w, h = self.rect
            return np.array([[x, y + h / 2]])
        return np.column_stack([self.xs - (0 if self.grid else self.radius), self.ys])


@dataclass
class Layout:
    layers: list[LayerGeometry]
    bias_nodes: bool
    bias_radius: float = 15.0
    text: float = 1.0  # the text scale the layout made room for
    value_labels: list[list[Rect]] = field(default_factory=list)  # per layer, per neuron (may be empty)

    @property
    def bounds(self) -> Rect:
        xs0, ys0, xs1, ys1 = [], [], [], []
        t = self.text
        for g in self.layers:
            x, y, w, h = g.rect
            xs0.append(min(x, g.x - HEADER_HALF_WIDTH * t))
            ys0.append(y - (HEADER_GAP + 20) * t)
            xs1.append(max(x + w, g.x + HEADER_HALF_WIDTH * t))
            ys1.append(y + h + 40 * t)
            if g.bias is not None:
                ys0.append(g.bias[1] - self.bias_radius - (HEADER_GAP + 20) * t)
        return (min(xs0), min(ys0), max(xs1) - min(xs0), max(ys1) - min(ys0))


def column_spacing(size: int) -> tuple[float, float]:
    """(distance between neuron centres, radius) of a column of ``size`` neurons."""
    dy = 82.0 if size <= 6 else max(22.0, min(82.0, 600.0 / size))
    radius = min(24.0, dy * 0.36) if size > 6 else 24.0
    return dy, radius


def is_collapsed(size: int, expanded: bool) -> bool:
    return size > COLLAPSE_ABOVE and not expanded


def compute_layout(
    sizes: Sequence[int],
    expanded: set[int] | frozenset[int] = frozenset(),
    bias_nodes: bool = False,
    labels: bool = False,
    text: float = 1.0,
    use_bias: Sequence[bool] | None = None,
) -> Layout:
    """Positions of every layer of a network with neuron-layer ``sizes``, with room for text at
    ``text`` times its normal size (a layer feeding a layer without biases, ``use_bias`` False, gets
    no bias node)."""
    widen = max(1.0, 0.4 + 0.6 * text)  # the labels beside a gap grow with the text, its lines need not
    gap = (LAYER_GAP_LABELS if labels else LAYER_GAP) * widen
    max_col = max((s for s in sizes if s <= COLLAPSE_ABOVE), default=1)
    dy_common, _ = column_spacing(max_col)
    layers: list[LayerGeometry] = []
    x_left = 0.0
    for i, n in enumerate(sizes):
        collapsed = is_collapsed(n, i in expanded)
        grid = n > COLLAPSE_ABOVE and not collapsed
        if collapsed:
            w, h = BLOCK_WIDTH, BLOCK_HEIGHT
            x = x_left + w / 2
            rect = (x_left, -h / 2, w, h)
            xs = ys = np.zeros(0)
            radius = 0.0
        elif grid:
            cols = math.ceil(math.sqrt(n))
            rows = math.ceil(n / cols)
            w, h = cols * GRID_SPACING, rows * GRID_SPACING
            idx = np.arange(n)
            xs = x_left + (idx % cols + 0.5) * GRID_SPACING
            ys = -h / 2 + (idx // cols + 0.5) * GRID_SPACING
            x = x_left + w / 2
            rect = (x_left, -h / 2, w, h)
            radius = GRID_RADIUS
        else:
            dy, radius = column_spacing(n)
            dy = max(dy, dy_common) if n <= 6 else dy
            if labels and n <= LABELLED_COLUMN_MAX:  # room under each neuron for its b, a and δ
                radius = 22.0
                dy = max(dy, 2 * radius + 52.0 * text)
            w = 2 * radius
            x = x_left + radius
            ys = (np.arange(n) - (n - 1) / 2) * dy
            xs = np.full(n, x)
            h = (n - 1) * dy + 2 * radius
            rect = (x - radius, -h / 2, 2 * radius, h)
        layers.append(LayerGeometry(i, n, x, xs, ys, radius, collapsed, grid, rect))
        fan = n * sizes[i + 1] if i + 1 < len(sizes) else 0
        # a gap with many labelled edges needs the room of the wider gap (their labels must not overlap)
        x_left += w + (LAYER_GAP_DENSE * widen if labels and fan > DENSE_FAN else gap)
    if bias_nodes:
        top = min(g.rect[1] for g in layers)
        for i, g in enumerate(layers[:-1]):
            if use_bias is None or use_bias[i]:
                g.bias = (g.x, top - (HEADER_GAP + 44.0) * text)
    return Layout(layers, bias_nodes, text=text)


def edge_segments(layout: Layout, layer: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points, shape (n_to, n_from, 2) each, of weight layer ``layer``'s edges.

    For a collapsed side there is one anchor, so that axis has length 1 (edges are bundled).
    """
    a = layout.layers[layer].anchor_out()
    b = layout.layers[layer + 1].anchor_in()
    starts = np.broadcast_to(a[None, :, :], (len(b), len(a), 2))
    ends = np.broadcast_to(b[:, None, :], (len(b), len(a), 2))
    return starts, ends


def bias_segments(layout: Layout, layer: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Edges from layer ``layer``'s bias node to every neuron of layer ``layer + 1`` (None if not drawn)."""
    g = layout.layers[layer]
    if g.bias is None:
        return None
    b = layout.layers[layer + 1].anchor_in()
    start = np.array(g.bias) + np.array([layout.bias_radius * 0.8, layout.bias_radius * 0.6])
    return np.broadcast_to(start, b.shape).copy(), b.copy()


def point_segment_distance(p: tuple[float, float], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from point ``p`` to every segment a[i]–b[i] (arrays of shape (..., 2))."""
    px, py = p
    d = b - a
    ap = np.stack([px - a[..., 0], py - a[..., 1]], axis=-1)
    length2 = np.sum(d * d, axis=-1)
    t = np.where(length2 > 0, np.sum(ap * d, axis=-1) / np.where(length2 > 0, length2, 1), 0.0)
    t = np.clip(t, 0.0, 1.0)
    closest = a + d * t[..., None]
    return np.hypot(px - closest[..., 0], py - closest[..., 1])


def _overlap(r: Rect, s: Rect) -> float:
    w = min(r[0] + r[2], s[0] + s[2]) - max(r[0], s[0])
    h = min(r[1] + r[3], s[1] + s[3]) - max(r[1], s[1])
    return w * h if w > 0 and h > 0 else 0.0


def rects_overlap(r: Rect, s: Rect) -> bool:
    return _overlap(r, s) > 0


CANDIDATES = (0.0, -0.08, 0.08, -0.16, 0.16, -0.24, 0.24, -0.12, 0.12, -0.04, 0.04, -0.2, 0.2, 0.28, -0.28)


def place_labels(
    segments: Sequence[tuple[tuple[float, float], tuple[float, float], float, str]],
    measure: Callable[[str], tuple[float, float]],
    obstacles: Sequence[Rect],
    t_range: tuple[float, float] = (0.12, 0.88),
) -> list[Rect]:
    """A rectangle for each label: (start, end, preferred t, text) → (x, y, w, h) centred on its edge.

    Labels are placed one after the other; each takes the first candidate position along its edge,
    counted out from its preferred t, that overlaps nothing placed so far.
    """
    placed: list[Rect] = []
    fixed = list(obstacles)
    lo, hi = t_range
    for (x0, y0), (x1, y1), pref, text in segments:
        w, h = measure(text)
        best: Rect | None = None
        best_cost = math.inf
        for off in CANDIDATES:
            t = min(hi, max(lo, pref + off))
            cx, cy = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            r = (cx - w / 2, cy - h / 2, w, h)
            cost = sum(_overlap(r, o) for o in fixed) + sum(_overlap(r, o) for o in placed)
            if cost == 0:
                best = r
                break
            if cost < best_cost:
                best, best_cost = r, cost
        assert best is not None
        placed.append(best)
    return placed


def preferred_t(frm: int, n_from: int, to: int, n_to: int) -> float:
    """Where along an edge its label sits by default: spread by source so crossing edges differ."""
    if n_from <= 1:
        return 0.5 if n_to <= 1 else 0.3 + 0.4 * to / max(n_to - 1, 1)
    return 0.26 + 0.48 * frm / (n_from - 1)
