"""Export the drawing (with its legend) as a PNG image or an SVG file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from .legend import legend_size, paint_legend
from .scene import NetworkScene

MARGIN = 24.0
#: PNGs are rendered at this many pixels per scene unit (sharp when printed or projected), within a cap
PNG_SCALE = 2.0
MAX_PNG_SIDE = 8000


def drawing_rect(scene: NetworkScene) -> QRectF:
    """The part of the scene with something drawn in it, plus a margin."""
    rect = QRectF()
    for item in scene.items():
        if item.isVisible():
            rect = rect.united(item.sceneBoundingRect())
    if scene.layout is not None:
        x, y, w, h = scene.layout.bounds
        rect = (
            rect.intersected(QRectF(x - 200, y - 200, w + 400, h + 400))
            if not rect.isNull()
            else QRectF(x, y, w, h)
        )
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def _render(scene: NetworkScene, painter: QPainter, target: QRectF, source: QRectF, legend: bool) -> None:
    painter.fillRect(target, scene.colours.background)
    scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
    if legend:
        scale = target.width() / source.width()
        painter.save()
        painter.scale(scale, scale)
        size = legend_size(scene.info)
        paint_legend(
            painter,
            QPointF(MARGIN / 2, target.height() / scale - size.height() - MARGIN / 2),
            scene.info,
            scene.colours,
        )
        painter.restore()


def _with_legend_room(scene: NetworkScene, rect: QRectF, legend: bool) -> QRectF:
    if not legend:
        return rect
    size = legend_size(scene.info)
    return rect.adjusted(0, 0, max(0.0, size.width() + MARGIN - rect.width()), size.height() + MARGIN)


def export_png(scene: NetworkScene, path: str | Path, legend: bool = True, scale: float = PNG_SCALE) -> QSize:
    """Render to a PNG at ``scale`` pixels per scene unit (capped at MAX_PNG_SIDE); returns its size."""
    scene.flush()
    source = _with_legend_room(scene, drawing_rect(scene), legend)
    s = min(scale, MAX_PNG_SIDE / max(source.width(), source.height()))
    size = QSize(max(1, int(source.width() * s)), max(1, int(source.height() * s)))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(scene.colours.background)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    _render(scene, p, QRectF(0, 0, size.width(), size.height()), source, legend)
    p.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"{path}: could not write the PNG file")
    return size


def export_svg(scene: NetworkScene, path: str | Path, legend: bool = True, title: str = "network") -> QSize:
    """Write the drawing as SVG (vector: lines, circles and text); returns its size in SVG units."""
    scene.flush()
    source = _with_legend_room(scene, drawing_rect(scene), legend)
    size = QSize(max(1, int(source.width())), max(1, int(source.height())))
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(size)
    gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
    gen.setTitle(title)
    gen.setDescription("Drawn by Backprop Studio")
    p = QPainter()
    if not p.begin(gen):
        raise OSError(f"{path}: could not write the SVG file")
    _render(scene, p, QRectF(0, 0, size.width(), size.height()), source, legend)
    p.end()
    if not Path(path).is_file():
        raise OSError(f"{path}: could not write the SVG file")
    return size
