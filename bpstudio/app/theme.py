"""Light and dark palettes, the canvas colours that go with them, and themed icons.

"system" follows the desktop's colour scheme (Qt 6 reports it through QStyleHints); "light" and
"dark" force one. The canvas reads its colours from :func:`canvas_colours` so it stays readable in both.
Icons are SVG files in ``resources/icons`` drawn with ``currentColor``, recoloured to the palette's text
colour so they stay sharp at any device-pixel ratio and visible on dark backgrounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from .. import resource_path


def apply_theme(app: QApplication, theme: str) -> None:
    """Use the Fusion style with the system's, a light or a dark colour scheme."""
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    hints = app.styleHints()
    scheme = {
        "light": Qt.ColorScheme.Light,
        "dark": Qt.ColorScheme.Dark,
    }.get(theme, Qt.ColorScheme.Unknown)
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(scheme)
    _apply_palette(app, theme)


def _apply_palette(app: QApplication, theme: str) -> None:
    hints = app.styleHints()
    if theme == "dark" or (theme == "system" and hints.colorScheme() == Qt.ColorScheme.Dark):
        app.setPalette(dark_palette())
    else:
        app.setPalette(app.style().standardPalette() if theme == "light" else QPalette())
    _svg_icon.cache_clear()


def follow_system_scheme(app: QApplication, current_theme) -> None:
    """Re-colour when the desktop switches between light and dark (while the theme is "system").

    ``current_theme()`` returns the theme preference at the time of the switch.
    """

    def changed(_scheme) -> None:
        if current_theme() == "system":
            _apply_palette(app, "system")

    app.styleHints().colorSchemeChanged.connect(changed)


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor("#2b2d31"), QColor("#1f2023"), QColor("#e6e6e6")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#292a2e"))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#35373c"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#35373c"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8b8d92"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#3d7bd9"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, QColor("#6ea8ff"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#4a4c52"))
    p.setColor(QPalette.ColorRole.Dark, QColor("#18191b"))
    p.setColor(QPalette.ColorRole.Light, QColor("#45474d"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7c7e83"))
    return p


def is_dark(palette: QPalette | None = None) -> bool:
    pal = palette or QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


@dataclass(frozen=True)
class CanvasColours:
    background: QColor
    text: QColor
    muted: QColor
    neuron_line: QColor
    neuron_fill: QColor
    positive: QColor
    negative: QColor
    removed: QColor
    selection: QColor
    bias_fill: QColor
    block_fill: QColor
    label_back: QColor


def canvas_colours(palette: QPalette | None = None) -> CanvasColours:
    """Colours of the canvas for the current palette: weights orange (+) and blue (−), colour-blind safe."""
    pal = palette or QGuiApplication.palette()
    dark = is_dark(pal)
    base = pal.color(QPalette.ColorRole.Base)
    text = pal.color(QPalette.ColorRole.Text)
    if dark:
        return CanvasColours(
            background=base,
            text=text,
            muted=QColor("#9a9ca1"),
            neuron_line=QColor("#c9cbd0"),
            neuron_fill=QColor("#2c2e33"),
            positive=QColor("#ff8a3d"),
            negative=QColor("#4ea1ff"),
            removed=QColor("#6b6d72"),
            selection=QColor("#ffd43b"),
            bias_fill=QColor("#3b3d43"),
            block_fill=QColor("#33353b"),
            label_back=QColor(31, 32, 35, 225),
        )
    return CanvasColours(
        background=base,
        text=text,
        muted=QColor("#6b6f76"),
        neuron_line=QColor("#3d4148"),
        neuron_fill=QColor("#ffffff"),
        positive=QColor("#d9480f"),
        negative=QColor("#1c6fd1"),
        removed=QColor("#b3b6bb"),
        selection=QColor("#f59f00"),
        bias_fill=QColor("#eef0f3"),
        block_fill=QColor("#f1f3f5"),
        label_back=QColor(255, 255, 255, 230),
    )


class _SvgIconEngine(QIconEngine):
    """Renders an SVG at the exact requested size and device-pixel ratio (sharp on high-DPI screens)."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = data
        self._renderer = QSvgRenderer(QByteArray(data))

    def paint(self, painter: QPainter, rect, mode, state) -> None:
        if mode == QIcon.Mode.Disabled:
            painter.setOpacity(0.4)
        self._renderer.render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        pm = QPixmap(size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        self.paint(p, pm.rect(), mode, state)
        p.end()
        return pm

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._data)


@lru_cache(maxsize=128)
def _svg_icon(name: str, colour: str) -> QIcon:
    path = resource_path("icons", f"{name}.svg")
    data = path.read_bytes().replace(b"currentColor", colour.encode())
    return QIcon(_SvgIconEngine(data))


def icon(name: str) -> QIcon:
    """The toolbar icon ``name`` drawn in the palette's text colour."""
    colour = QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()
    return _svg_icon(name, colour)


def app_icon() -> QIcon:
    path = resource_path("icons", "bpstudio.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
