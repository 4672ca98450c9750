"""The network canvas's scene: builds the graphics items from the session and keeps them current.

Structure changes (and view options that move things) rebuild the layout; weight and trace changes
only recolour. Updates arriving in a burst (a step emits several signals) are coalesced into one
refresh on the next turn of the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QGraphicsScene

from ...engine import ACTIVATIONS
from ...teaching.labels import DEFAULTS, fmt, layer_title
from ..changes import Change
from ..session import NO_SELECTION, Selection, Session
from ..theme import canvas_colours
from .edges import EdgeLayerItem
from .items import HighlightItem, LabelsItem, NeuronLayerItem, label_font
from .layout import (
    LABELLED_COLUMN_MAX,
    Layout,
    bias_segments,
    compute_layout,
    edge_segments,
    place_labels,
    preferred_t,
)

#: weight layers with more edges than this get no numeric labels (they could not be read anyway)
MAX_LABELLED_EDGES = 81


@dataclass(frozen=True)
class Hit:
    """What is under a point of the canvas: kind ``neuron``, ``edge``, ``bias`` (a bias edge or label),
    ``bias_node``, ``block`` (a collapsed layer) or ``header`` (a layer's title)."""

    kind: str
    layer: int
    index: int = -1
    frm: int = -1

    def selection(self) -> Selection:
        if self.kind in ("neuron", "edge", "bias"):
            return Selection(self.kind, self.layer, self.index, self.frm)
        if self.kind in ("block", "header"):
            return Selection("layer", self.layer)
        if self.kind == "bias_node":
            return Selection("layer", self.layer)
        return NO_SELECTION


@dataclass
class DisplayInfo:
    """What the legend needs to explain the picture."""

    wmax: float = 0.0
    fill: str = "activation"
    fill_label: str = ""
    fill_scale: float = 1.0
    sample: str = ""
    removed: bool = False
    bias_nodes: bool = False
    bias_minus: bool = False  # the bias nodes are "−1" (W₀ = −b)


class NetworkScene(QGraphicsScene):
    """All items of the drawing; ``hit(pos)`` tells what is at a point."""

    rebuilt = Signal()
    refreshed = Signal()

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.expanded: set[int] = set()
        self.layout: Layout | None = None
        self.layer_items: list[NeuronLayerItem] = []
        self.edge_items: list[EdgeLayerItem] = []
        self.labels_item = LabelsItem()
        self.highlight = HighlightItem()
        self.label_targets: list[Hit] = []
        self.info = DisplayInfo()
        self.colours = canvas_colours()
        self.text_scale = 1.0
        self._refresh_pending = False
        session.changed.connect(self._changed)
        session.viewChanged.connect(self._on_view)
        session.selectionChanged.connect(self._update_highlight)
        self.rebuild()

    # ------------------------------------------------------------------ options
    def opt(self, key: str):
        return self.session.view_option(key, DEFAULTS[key])

    def _changed(self, change: Change) -> None:
        if change & Change.PROJECT:
            self._on_project()
        elif change & Change.STRUCTURE:
            self.rebuild()
        elif change & Change.NUMBERS:
            self.schedule_refresh()

    def _on_project(self) -> None:
        self.expanded.clear()
        self.rebuild()

    def _on_view(self, key: str) -> None:
        if key in ("bias_style", "labels", "names"):
            self.rebuild()
        else:
            self.refresh()

    def set_expanded(self, layer: int, expanded: bool) -> None:
        """Show a large layer's neurons (or fold them back into a block)."""
        (self.expanded.add if expanded else self.expanded.discard)(layer)
        self.rebuild()

    def set_text_scale(self, scale: float) -> None:
        """Draw the text ``scale`` times its normal size (the window's text size); the neurons keep
        theirs, and the layout makes room for the text."""
        if scale != self.text_scale:
            self.text_scale = scale
            self.labels_item.font = label_font(9.0 * scale)
            self.rebuild()

    def update_colours(self) -> None:
        self.colours = canvas_colours()
        self.setBackgroundBrush(self.colours.background)
        self.refresh()

    # ------------------------------------------------------------------ building
    @property
    def bias_sign(self) -> float:
        """−1 when biases are drawn as weights W₀ = −b on a "−1" node, else +1."""
        return -1.0 if self.opt("bias_style") == "node_minus" else 1.0

    def rebuild(self) -> None:
        """Lay the network out afresh and recreate the items."""
        net = self.session.network
        self.expanded = {i for i in self.expanded if i < len(net.sizes)}
        for item in self.layer_items + self.edge_items:  # only our own: others may add items too
            self.removeItem(item)
        if self.labels_item.scene() is None:
            self.addItem(self.labels_item)
            self.addItem(self.highlight)
        bias_nodes = self.opt("bias_style") in ("node", "node_minus")
        self.layout = compute_layout(
            net.sizes,
            self.expanded,
            bias_nodes,
            bool(self.opt("labels")),
            text=self.text_scale,
            use_bias=net.use_bias,
        )
        self.layer_items = []
        minus = self.opt("bias_style") == "node_minus"
        for g in self.layout.layers:
            item = NeuronLayerItem(g, self.text_scale)
            item.bias_text = "−1" if minus else "+1"
            self.addItem(item)
            self.layer_items.append(item)
        self.edge_items = []
        for i in range(net.n_layers):
            starts, ends = edge_segments(self.layout, i)
            bundled = self.layout.layers[i].collapsed or self.layout.layers[i + 1].collapsed
            item = EdgeLayerItem(i)
            item.set_geometry(starts, ends, bundled, bias_segments(self.layout, i))
            self.addItem(item)
            self.edge_items.append(item)
        self.setBackgroundBrush(self.colours.background)
        self.refresh()
        x, y, w, h = self.layout.bounds
        self.setSceneRect(QRectF(x - 60, y - 40, w + 120, h + 80))
        self.rebuilt.emit()

    def schedule_refresh(self, *_args) -> None:
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self._do_refresh)

    def _do_refresh(self) -> None:
        if self._refresh_pending:
            self.refresh()

    def flush(self) -> None:
        """Apply a scheduled refresh now."""
        if self._refresh_pending:
            self.refresh()

    def refresh(self) -> None:
        """Recolour edges and neurons and rewrite labels from the current weights and trace."""
        self._refresh_pending = False
        if self.layout is None or len(self.layer_items) != len(self.session.network.sizes):
            return
        net = self.session.network
        c = self.colours
        prec = int(self.opt("precision"))
        p = self.session.presenter()
        bias_nodes = self.opt("bias_style") in ("node", "node_minus")
        labels_on = bool(self.opt("labels"))
        names_style = self.opt("names")
        fill = self.opt("fill")
        dsym = p.label("delta")

        mags = [np.abs(w).max(initial=0.0) for w in net.weights]
        if bias_nodes:
            mags += [np.abs(b).max(initial=0.0) for b in net.biases]
        wmax = float(max(mags, default=0.0))

        trace = p.trace
        acts: list[np.ndarray | None] = [None] * len(net.sizes)
        deltas: list[np.ndarray | None] = [None] * len(net.sizes)
        if trace is not None:
            for rec in trace.layers:
                if rec.a is not None:
                    acts[rec.layer] = rec.a[0]
                d = p.delta(rec.layer)
                if d is not None:
                    deltas[rec.layer] = d[0]
        dmax = max((float(np.abs(d).max(initial=0.0)) for d in deltas if d is not None), default=0.0)

        for i, item in enumerate(self.layer_items):
            n = net.sizes[i]
            act_name = net.activations[i - 1] if i > 0 else ""
            title = layer_title(i, net.n_layers)
            detail = f"{n} neuron{'s' if n != 1 else ''}"
            if act_name:
                detail += " · " + ACTIVATIONS.get(act_name).name
            values, scale = (acts[i], 1.0) if fill == "activation" else (deltas[i], dmax)
            if fill == "activation" and values is not None:
                scale = max(1.0, float(np.abs(values).max(initial=0.0)))
            names = [p.names.neuron(i, k, names_style) for k in range(n)] if n <= 32 else []
            lines: list[list[str]] = []
            if labels_on and n <= LABELLED_COLUMN_MAX:
                for k in range(n):
                    parts = []
                    if i > 0 and not bias_nodes and net.use_bias[i - 1]:
                        parts.append(f"b = {fmt(net.biases[i - 1][k], prec)}")
                    if acts[i] is not None:
                        parts.append(f"{'x' if i == 0 else 'a'} = {fmt(acts[i][k], prec)}")
                    if deltas[i] is not None:
                        parts.append(f"{dsym} = {fmt(deltas[i][k], prec)}")
                    lines.append(parts)
            item.set_content(title, detail, names, values, scale, lines, c)

        for i, item in enumerate(self.edge_items):
            shown = bias_nodes and net.use_bias[i]
            bias = self.bias_sign * net.biases[i] if shown else None  # W₀ = −b on a "−1" node
            item.set_values(net.weights[i], net.masks[i], bias, wmax, c)

        self._place_labels(labels_on, bias_nodes, prec)
        fill_label = "activation a" if fill == "activation" else f"{dsym} ({p.label('delta_name')})"
        sample = ""
        if trace is not None and trace.sample_indices:
            sample = f"training sample {trace.sample_indices[0] + 1}"
            if trace.batch_size > 1:
                sample += f" (first of a batch of {trace.batch_size})"
        self.info = DisplayInfo(
            wmax=wmax,
            fill=fill,
            fill_label=fill_label,
            fill_scale=dmax if fill != "activation" else 1.0,
            sample=sample,
            removed=any(m is not None for m in net.masks),
            bias_nodes=bias_nodes,
            bias_minus=self.bias_sign < 0,
        )
        self._update_highlight(self.session.selection)
        self.refreshed.emit()

    def _place_labels(self, labels_on: bool, bias_nodes: bool, prec: int) -> None:
        net = self.session.network
        assert self.layout is not None
        out: list[tuple[QRectF, str, QColor]] = []
        targets: list[Hit] = []
        if labels_on:
            fm = QFontMetricsF(self.labels_item.font)

            def measure(text: str) -> tuple[float, float]:
                return fm.horizontalAdvance(text) + 8, fm.height() + 2

            obstacles = []
            for item in self.layer_items:
                g = item.g
                for k in range(len(g.xs)):
                    r = item.neuron_rect(k)
                    obstacles.append((r.x(), r.y(), r.width(), r.height()))
                for r in item.value_rects:
                    if not r.isNull():
                        obstacles.append((r.x(), r.y(), r.width(), r.height()))
            segs = []
            for i, item in enumerate(self.edge_items):
                a, b = self.layout.layers[i], self.layout.layers[i + 1]
                if item.bundled or a.grid or b.grid or item.n_edges > MAX_LABELLED_EDGES:
                    continue
                n_to, n_from = item.shape_tf
                mask = net.masks[i]
                for to in range(n_to):
                    for frm in range(n_from):
                        if mask is not None and not mask[to, frm]:
                            continue
                        k = to * n_from + frm
                        w = float(net.weights[i][to, frm])
                        segs.append(
                            (
                                tuple(item.starts[k]),
                                tuple(item.ends[k]),
                                preferred_t(frm, n_from, to, n_to),
                                fmt(w, prec),
                            )
                        )
                        targets.append(Hit("edge", i, to, frm))
                if bias_nodes and item.bias_starts is not None:
                    for to in range(n_to):
                        b_val = self.bias_sign * float(net.biases[i][to])
                        segs.append(
                            (tuple(item.bias_starts[to]), tuple(item.bias_ends[to]), 0.55, fmt(b_val, prec))
                        )
                        targets.append(Hit("bias", i, to))
            rects = place_labels(segs, measure, obstacles)
            for (_, _, _, text), r, hit in zip(segs, rects, targets):
                value = (
                    float(net.weights[hit.layer][hit.index, hit.frm])
                    if hit.kind == "edge"
                    else self.bias_sign * float(net.biases[hit.layer][hit.index])
                )
                colour = self.colours.positive if value >= 0 else self.colours.negative
                out.append((QRectF(*r), text, colour))
        self.label_targets = targets if labels_on else []
        self.labels_item.set_labels(out, self.colours)

    # ------------------------------------------------------------------ hit testing
    def hit(self, pos: QPointF, tolerance: float = 5.0) -> Hit | None:
        """The thing under scene point ``pos`` (labels first, then neurons, then edges)."""
        i = self.labels_item.label_at(pos)
        if i is not None and i < len(self.label_targets):
            return self.label_targets[i]
        for item in self.layer_items:
            layer = item.g.index
            k = item.neuron_at(pos)
            if k is not None:
                return Hit("neuron", layer, k)
            if item.bias_node_at(pos):
                return Hit("bias_node", layer)
            if item.block_at(pos):
                return Hit("block", layer)
            if item.header_at(pos):
                return Hit("header", layer)
        best = None
        for item in self.edge_items:
            e = item.edge_at(pos, tolerance)
            if e is not None:
                best = Hit("edge", item.layer, e[0], e[1])
                break
            b = item.bias_edge_at(pos, tolerance)
            if b is not None:
                best = Hit("bias", item.layer, b)
                break
        return best

    def neuron_centre(self, layer: int, index: int) -> QPointF:
        """Where neuron ``index`` of ``layer`` is drawn (for tests and tooltips)."""
        r = self.layer_items[layer].neuron_rect(index)
        return r.center()

    def edge_point(self, layer: int, to: int, frm: int, t: float = 0.5) -> QPointF:
        item = self.edge_items[layer]
        k = to * item.shape_tf[1] + frm
        a, b = item.starts[k], item.ends[k]
        return QPointF(*(a + (b - a) * t))

    def label_rect(self, hit: Hit) -> QRectF | None:
        for target, (rect, _, _) in zip(self.label_targets, self.labels_item.labels):
            if target == hit:
                return rect
        return None

    # ------------------------------------------------------------------ selection
    def _update_highlight(self, sel: Selection) -> None:
        lines: list = []
        rings: list[QRectF] = []
        n_layers = len(self.layer_items)
        net = self.session.network
        bias_nodes = self.opt("bias_style") in ("node", "node_minus")
        if sel.kind == "neuron" and 0 <= sel.layer < n_layers and 0 <= sel.index < net.sizes[sel.layer]:
            l, j = sel.layer, sel.index
            if not self.layer_items[l].g.collapsed:
                rings.append(self.layer_items[l].neuron_rect(j))
            if l > 0:
                item = self.edge_items[l - 1]
                lines += item.lines_for([(j, k) for k in range(net.sizes[l - 1])], [j] if bias_nodes else [])
            if l < n_layers - 1:
                lines += self.edge_items[l].lines_for([(k, j) for k in range(net.sizes[l + 1])], [])
        elif sel.kind == "edge" and 0 <= sel.layer < len(self.edge_items):
            lines += self.edge_items[sel.layer].lines_for([(sel.index, sel.frm)], [])
            for layer, k in ((sel.layer, sel.frm), (sel.layer + 1, sel.index)):
                if 0 <= k < net.sizes[layer] and not self.layer_items[layer].g.collapsed:
                    rings.append(self.layer_items[layer].neuron_rect(k))
        elif sel.kind == "bias" and 0 <= sel.layer < len(self.edge_items):
            lines += self.edge_items[sel.layer].lines_for([], [sel.index])
            if 0 <= sel.index < net.sizes[sel.layer + 1] and not self.layer_items[sel.layer + 1].g.collapsed:
                rings.append(self.layer_items[sel.layer + 1].neuron_rect(sel.index))
        elif sel.kind == "layer" and 0 <= sel.layer < n_layers:
            item = self.layer_items[sel.layer]
            x, y, w, h = item.g.rect
            if item.g.collapsed or item.g.grid:
                rings.append(QRectF(x, y, w, h).adjusted(-2, -2, 2, 2))
            else:
                rings += [item.neuron_rect(k) for k in range(item.g.size)]
        width = 3.5 if len(lines) < 200 else 1.2
        self.highlight.set_highlight(lines, rings, self.colours.selection, width)

    def describe(self, hit: Hit) -> str:
        """A one-line tooltip for ``hit``."""
        net = self.session.network
        prec = int(self.opt("precision"))
        names = self.session.names
        if hit.kind == "neuron":
            name = names.neuron(hit.layer, hit.index)
            text = f"{name} — neuron {hit.index + 1} of layer {names.layer(hit.layer)}"
            if hit.layer > 0 and net.use_bias[hit.layer - 1]:
                text += f", bias {fmt(net.biases[hit.layer - 1][hit.index], prec)}"
            elif hit.layer > 0:
                text += ", no bias"
            return text
        if hit.kind == "edge":
            w = net.weights[hit.layer][hit.index, hit.frm]
            state = "" if net.connection_present(hit.layer, hit.index, hit.frm) else " (removed)"
            return f"{names.weight(hit.layer, hit.index, hit.frm)} = {fmt(w, prec)}{state}"
        if hit.kind == "bias":
            value = fmt(self.bias_sign * net.biases[hit.layer][hit.index], prec)
            what = "W₀ (on x₀ = −1)" if self.bias_sign < 0 else "bias"
            return f"{what} of neuron {hit.index + 1} of layer {names.layer(hit.layer + 1)} = {value}"
        if hit.kind == "bias_node":
            x0 = "−1" if self.bias_sign < 0 else "+1"
            return f"bias input x₀ = {x0} feeding layer {names.layer(hit.layer + 1)}"
        if hit.kind == "block":
            return f"{net.sizes[hit.layer]} neurons (double-click to expand)"
        if hit.kind == "header":
            return f"layer {hit.layer + 1}: double-click to change its size or activation"
        return ""
