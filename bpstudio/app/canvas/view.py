"""The network canvas widget: zoom (wheel, pinch), pan (drag), fit to window, click to select.

Clicking a neuron, edge, bias or layer selects it through ``Session.select``, and what the pointer rests
on is reported through ``Session.hover`` (None when it leaves the canvas); double-clicks and
context-menu requests are passed on as signals (the :class:`~bpstudio.app.canvas.editor.CanvasEditor`
turns them into edits). Dragging the background pans; a click on empty space clears the selection.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsView, QPinchGesture, QToolTip

from .. import ui_scale
from ..session import NO_SELECTION, Session
from .legend import LegendWidget
from .scene import Hit, NetworkScene

MIN_SCALE = 0.02
MAX_SCALE = 8.0
MAX_FIT_SCALE = 1.35
#: the legend folds into a chip when, open, it would leave the drawing less than this share of its size
FOLD_BELOW = 0.75
CLICK_SLOP = 4


class NetworkView(QGraphicsView):
    """Shows a :class:`NetworkScene`; owns zooming, panning and the legend overlay."""

    activated = Signal(object)  # Hit that was double-clicked
    contextRequested = Signal(object, QPoint)  # Hit or None, global position
    zoomChanged = Signal(float)

    def __init__(self, session: Session, parent=None) -> None:
        self.network_scene = NetworkScene(session)
        super().__init__(self.network_scene, parent)
        self.network_scene.setParent(self)
        self.session = session
        self.setObjectName("networkCanvas")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self.auto_fit = True
        self._press: tuple[QPointF, int, int] | None = None
        self._moved = False
        self.legend = LegendWidget(self)  # not the viewport's child: scrolling would move it
        self.legend_visible = True
        self.legend.toggled.connect(self._place_legend)  # a folded legend opened or closed by a click
        self.network_scene.rebuilt.connect(self._after_rebuild)
        self.network_scene.refreshed.connect(self._update_legend)
        self._update_legend()
        self.network_scene.set_text_scale(ui_scale.factor())
        ui_scale.follow_font(self, self._text_size_changed)

    @property
    def scene_(self) -> NetworkScene:
        return self.network_scene

    # ------------------------------------------------------------------ zoom and fit
    def current_scale(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor_under_mouse: bool = True) -> None:
        s = self.current_scale()
        factor = max(MIN_SCALE / s, min(MAX_SCALE / s, factor))
        if not anchor_under_mouse:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.scale(factor, factor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.auto_fit = False
        self._update_scene_rect()
        self.zoomChanged.emit(self.current_scale())

    def zoom_in(self) -> None:
        self.zoom_by(1.25, anchor_under_mouse=False)

    def zoom_out(self) -> None:
        self.zoom_by(0.8, anchor_under_mouse=False)

    def fit_to_window(self) -> None:
        """Show the whole network, never magnified beyond MAX_FIT_SCALE (small networks stay crisp).

        The legend in the bottom-left corner covers nothing: the drawing is fitted either above it or
        to its right, whichever shows the network larger.
        """
        rect = self._content_rect()
        self.resetTransform()
        self.setSceneRect(rect)
        vp = self.viewport().rect()
        if rect.width() <= 0 or rect.height() <= 0 or vp.width() < 10 or vp.height() < 10:
            return
        # the text grows with the window's text size (the scene's text scale), the drawing need not
        cap = MAX_FIT_SCALE

        def fitted(legend: QSize | None) -> tuple[float, float]:
            """The scale with the drawing above, and beside, a legend of that size in the corner."""
            lw, lh = (legend.width() + 14, legend.height() + 14) if legend is not None else (0, 0)
            above = min(vp.width() / rect.width(), max(vp.height() - lh, 10) / rect.height(), cap)
            beside = min(max(vp.width() - lw, 10) / rect.width(), vp.height() / rect.height(), cap)
            return above, beside

        if self.legend_visible:
            # a legend that would cost the drawing over a quarter of its size folds into a chip
            alone = max(fitted(None))
            self.legend.set_folded(max(fitted(self.legend.full_size())) < FOLD_BELOW * alone)
            self._place_legend()
            corner = self.legend.footprint()
            above, beside = fitted(corner)
            lw, lh = corner.width() + 14, corner.height() + 14
        else:
            above, beside = fitted(None)
            lw = lh = 0
        s = max(above, beside, MIN_SCALE)
        self.scale(s, s)
        self.auto_fit = True
        centre = rect.center()  # shifted so the drawing is centred in the area the legend leaves free
        if above >= beside:
            centre.setY(centre.y() + lh / (2 * s))
        else:
            centre.setX(centre.x() - lw / (2 * s))
        self._update_scene_rect(centre)
        self.zoomChanged.emit(self.current_scale())

    def _text_size_changed(self) -> None:
        """The window's text size changed: the drawing's text follows, a fitted drawing is fitted again."""
        self.network_scene.set_text_scale(ui_scale.factor())
        self._update_legend()
        if self.auto_fit:
            self.fit_to_window()

    def _content_rect(self) -> QRectF:
        sc = self.network_scene
        if sc.layout is None:
            return QRectF(0, 0, 100, 100)
        x, y, w, h = sc.layout.bounds
        rect = QRectF(x, y, w, h).united(sc.labels_item.boundingRect())
        return rect.adjusted(-14, -20, 14, 20)

    def _update_scene_rect(self, centre: QPointF | None = None) -> None:
        """A scene rect larger than the view in every direction, so the drawing can be panned freely."""
        vp = self.mapToScene(self.viewport().rect()).boundingRect()
        centre = vp.center() if centre is None else centre
        content = self._content_rect()
        margin_x, margin_y = vp.width() * 0.75, vp.height() * 0.75
        self.setSceneRect(content.adjusted(-margin_x, -margin_y, margin_x, margin_y))
        self.centerOn(centre)

    def _after_rebuild(self) -> None:
        if self.auto_fit:
            self.fit_to_window()
        else:
            self._update_scene_rect()

    def _update_legend(self) -> None:
        sc = self.network_scene
        self.legend.set_info(sc.info, sc.colours, self.viewport().width())
        self.legend.setVisible(self.legend_visible)
        self._place_legend()

    def set_legend_visible(self, visible: bool) -> None:
        self.legend_visible = visible
        self.legend.setVisible(visible)

    def _place_legend(self) -> None:
        vp = self.viewport().geometry()
        self.legend.move(vp.x() + 10, max(vp.y() + 4, vp.bottom() - self.legend.height() - 10))
        self.legend.raise_()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_legend()  # (its size depends on the canvas's width)
        if self.auto_fit:
            self.fit_to_window()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.auto_fit:
            self.fit_to_window()

    # ------------------------------------------------------------------ mouse
    def hit_at(self, pos: QPoint | QPointF) -> Hit | None:
        p = pos.toPoint() if isinstance(pos, QPointF) else pos
        tol = 6.0 / max(self.current_scale(), 1e-6)
        return self.network_scene.hit(self.mapToScene(p), tol)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() == Qt.MouseButton.LeftButton:
            hit = self.hit_at(event.position())
            if hit is not None:
                self.session.select(hit.selection())
                self._press = None
                event.accept()
                return
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._press = (
                event.position(),
                self.horizontalScrollBar().value(),
                self.verticalScrollBar().value(),
            )
            self._moved = False
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None:
            start, h, v = self._press
            d = event.position() - start
            if abs(d.x()) + abs(d.y()) > CLICK_SLOP:
                self._moved = True
            if self._moved:
                self.horizontalScrollBar().setValue(int(h - d.x()))
                self.verticalScrollBar().setValue(int(v - d.y()))
                self.auto_fit = False
            event.accept()
            return
        hit = self.hit_at(event.position())
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if hit is not None else Qt.CursorShape.ArrowCursor
        )
        # what the pointer rests on, for previews elsewhere (the boundary plot maps a hovered neuron)
        self.session.hover(hit.selection() if hit is not None else None)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is not None:
            if not self._moved and event.button() == Qt.MouseButton.LeftButton:
                self.session.select(NO_SELECTION)
            self._press = None
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            hit = self.hit_at(event.position())
            if hit is not None:
                self.session.select(hit.selection())
                self.activated.emit(hit)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:
        hit = self.hit_at(event.pos())
        self.session.select(hit.selection() if hit is not None else NO_SELECTION)
        self.contextRequested.emit(hit, event.globalPos())
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        pixel = event.pixelDelta()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if not pixel.isNull() and not ctrl:  # a touchpad's two-finger scroll pans
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - pixel.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - pixel.y())
            self.auto_fit = False
            event.accept()
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15**steps)
        event.accept()

    # ------------------------------------------------------------------ gestures and tooltips
    def viewportEvent(self, event: QEvent) -> bool:
        t = event.type()
        if t == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if isinstance(pinch, QPinchGesture):
                flags = pinch.changeFlags()
                if flags & QPinchGesture.ChangeFlag.ScaleFactorChanged:
                    self.zoom_by(pinch.scaleFactor())
                event.accept()
                return True
        if t == QEvent.Type.NativeGesture and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            self.zoom_by(1.0 + event.value())
            return True
        if t == QEvent.Type.Leave:
            self.session.hover(None)
        if t == QEvent.Type.ToolTip:
            hit = self.hit_at(event.pos())
            text = self.network_scene.describe(hit) if hit is not None else ""
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)
