"""Marks on the canvas the neurons and edges the current walkthrough line uses (``Session.highlight``).

Drawn as one path item (lines for the edges, circles round the neurons) in the network scene, in its
own colour and under the selection highlight, so it does not disturb the selection. The highlighter
is a child of the scene, so it lives exactly as long as the scene; it puts its item back after the
scene rebuilds its drawing and clears it when nothing is asked.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from ..session import Selection

#: amber, readable on the light and the dark canvas and distinct from the selection colour
COLOUR = QColor(232, 150, 0, 210)
#: just under the selection highlight (z 5), over everything else
Z_VALUE = 4.5


class LineHighlighter(QObject):
    """Draws ``session.highlighted`` on ``scene`` (a NetworkScene)."""

    def __init__(self, session, scene) -> None:
        super().__init__(scene)
        self.session = session
        self.scene = scene
        self.items: tuple[Selection, ...] = ()
        self.n_lines = 0
        self.n_rings = 0
        self.item = QGraphicsPathItem()
        self.item.setZValue(Z_VALUE)
        self.item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        scene.addItem(self.item)
        session.highlightRequested.connect(self.show)
        if hasattr(scene, "rebuilt"):
            scene.rebuilt.connect(self.redraw)
        if hasattr(scene, "refreshed"):
            scene.refreshed.connect(self.redraw)
        self.redraw()

    def show(self, items: tuple[Selection, ...]) -> None:
        self.items = tuple(items)
        self.redraw()

    def redraw(self) -> None:
        """Recompute the marks from the scene's current geometry."""
        if self.item.scene() is not self.scene:  # the scene's rebuild removed it
            self.scene.addItem(self.item)
        lines: list = []
        rings: list[QRectF] = []
        try:
            layer_items = self.scene.layer_items
            edge_items = self.scene.edge_items
            sizes = self.session.network.sizes
            for sel in self.items:
                if (
                    sel.kind == "neuron"
                    and 0 <= sel.layer < len(layer_items)
                    and 0 <= sel.index < sizes[sel.layer]
                ):
                    item = layer_items[sel.layer]
                    if not item.g.collapsed:
                        rings.append(item.neuron_rect(sel.index))
                elif sel.kind == "edge" and 0 <= sel.layer < len(edge_items):
                    lines += edge_items[sel.layer].lines_for([(sel.index, sel.frm)], [])
                elif sel.kind == "bias" and 0 <= sel.layer < len(edge_items):
                    lines += edge_items[sel.layer].lines_for([], [sel.index])
        except (AttributeError, IndexError, TypeError):  # the canvas changed under us: show nothing
            lines, rings = [], []
        path = QPainterPath()
        for line in lines:
            path.moveTo(line.p1())
            path.lineTo(line.p2())
        for ring in rings:
            path.addEllipse(ring.adjusted(-6, -6, 6, 6))
        self.item.setPen(QPen(COLOUR, 4.0 if len(lines) < 200 else 1.5))
        self.item.setPath(path)
        self.n_lines, self.n_rings = len(lines), len(rings)

    def marked(self) -> tuple[int, int]:
        """(number of edge segments, number of neuron rings) drawn, for tests."""
        return self.n_lines, self.n_rings
