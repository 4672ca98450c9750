"""Light and dark palettes, the canvas colours that go with them, and themed icons.

"system" follows the desktop's colour scheme (Qt 6 reports it through QStyleHints); "light" and
"dark" force one. The canvas reads its colours from :func:`canvas_colours` so it stays readable in both.

The app draws its controls with Qt's Fusion style, which takes the outline of check boxes, radio buttons,
fields, item views and buttons from the palette's Window colour (``Window.darker(140)``). On a dark window
that outline is darker still and all but vanishes (an unticked check box was invisible). So the dark
theme gives those classes of widgets a palette of their own (:func:`dark_control_palettes`) whose Window
colour is chosen so that the outline Fusion derives from it is :data:`DARK_OUTLINE`, at least 3:1 against
the window and the fields (WCAG contrast, :func:`contrast_ratio`). Where such a widget paints a
background with the Window brush (a scroll area's corner), that brush still paints the window's colour
(:func:`outline_brush`), so nothing else changes; :func:`window_colour` reads it back. Tab bars get a
lighter Window colour the same way (:data:`DARK_TAB`): Fusion shades dock tabs from it, and on the dark
window they stood out neither from it nor from each other.

Icons are SVG files in ``resources/icons`` drawn with ``currentColor``, recoloured to the palette's text
colour and rendered into pixmaps at the sizes the app uses (:data:`ICON_SIZES`) for device-pixel ratios 1
and 2 and those of the screens, plus a dimmed copy for the Disabled mode. They are plain QIcons (no
Python icon engine, which could crash when Python tore it down at exit), made when first asked for,
and dropped when the application quits.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QByteArray, QCoreApplication, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGradient,
    QGuiApplication,
    QIcon,
    QImage,
    QLinearGradient,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from .. import resource_path

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

#: the colours of the dark theme, role by role (every role is set, so nothing leaks from a light palette)
DARK_COLOURS: dict[QPalette.ColorRole, str] = {
    Role.Window: "#2b2d31",
    Role.WindowText: "#e6e6e6",
    Role.Base: "#1f2023",
    Role.AlternateBase: "#27282c",
    Role.Text: "#e6e6e6",
    Role.Button: "#3a3c42",
    Role.ButtonText: "#e6e6e6",
    Role.BrightText: "#ffffff",
    Role.ToolTipBase: "#3a3c42",
    Role.ToolTipText: "#f0f0f0",
    Role.PlaceholderText: "#8e9096",
    Role.Highlight: "#2f6fd0",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#6ea8ff",
    Role.LinkVisited: "#b197fc",
    Role.Light: "#4a4c53",
    Role.Midlight: "#3e4046",
    Role.Mid: "#5a5d64",
    Role.Dark: "#18191b",
    Role.Shadow: "#0c0c0d",
    Role.Accent: "#2f6fd0",
}
#: the colours of disabled widgets in the dark theme: dimmer, still readable (≥ 3:1 on the window)
DARK_DISABLED: dict[QPalette.ColorRole, str] = {
    Role.WindowText: "#8a8c91",
    Role.Text: "#8a8c91",
    Role.ButtonText: "#8a8c91",
    Role.PlaceholderText: "#6c6e73",
    Role.Base: "#26272b",
    Role.Button: "#323439",
    Role.Highlight: "#4a4c53",
    Role.HighlightedText: "#c8c9cc",
    Role.Link: "#6c7c99",
}
#: outline of check boxes, radio buttons, fields, item views and buttons in the dark theme
DARK_OUTLINE = "#8b8e95"
#: the same outline on disabled widgets (dimmer, still visible)
DARK_OUTLINE_DISABLED = "#686b72"
#: the colour Fusion shades the tabs of a tab bar from (the selected one lightest, the others darker)
DARK_TAB = "#4a4d54"


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio (L₁ + 0.05) / (L₂ + 0.05) of the relative luminances, L₁ the lighter."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def relative_luminance(c: QColor) -> float:
    """WCAG relative luminance L = 0.2126 R + 0.7152 G + 0.0722 B of the linearised sRGB channels."""

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(c.redF()) + 0.7152 * linear(c.greenF()) + 0.0722 * linear(c.blueF())


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
        palette = dark_palette()
        app.setPalette(palette)  # this also drops the palettes of widget classes set before
        _set_control_palettes(app)
    else:
        app.setPalette(app.style().standardPalette() if theme == "light" else QPalette())
    _svg_icon.cache_clear()
    _drop_icons_at_quit(app)
    if not app.property(_SCHEME_PROPERTY):
        app.setProperty(_SCHEME_PROPERTY, True)
        hints.colorSchemeChanged.connect(_scheme_changed)


#: dynamic property marking an application whose colour-scheme changes re-tune the control palettes
_SCHEME_PROPERTY = "bpstudioSchemeWatched"


def _set_control_palettes(app: QApplication) -> None:
    """Give the outlined widget classes their dark palettes, for the colour scheme the platform reports
    now (Fusion draws check boxes differently in a dark scheme)."""
    dark_scheme = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    for class_name, class_palette in dark_control_palettes(app.palette(), dark_scheme).items():
        QApplication.setPalette(class_palette, class_name)


def _scheme_changed(_scheme=None) -> None:
    """The platform's colour scheme changed (it may report a requested scheme only a moment later)."""
    app = QApplication.instance()
    if isinstance(app, QApplication) and is_dark(app.palette()):
        _set_control_palettes(app)


def follow_system_scheme(app: QApplication, current_theme) -> None:
    """Re-colour when the desktop switches between light and dark (while the theme is "system").

    ``current_theme()`` returns the theme preference at the time of the switch.
    """

    def changed(_scheme) -> None:
        if current_theme() == "system":
            _apply_palette(app, "system")

    app.styleHints().colorSchemeChanged.connect(changed)


def dark_palette() -> QPalette:
    """The dark theme's palette: :data:`DARK_COLOURS`, and :data:`DARK_DISABLED` for disabled widgets."""
    p = QPalette()
    for role, colour in DARK_COLOURS.items():
        p.setColor(role, QColor(colour))
    for role, colour in DARK_DISABLED.items():
        p.setColor(Group.Disabled, role, QColor(colour))
    return p


def _fusion_checkbox_outline(window: QColor, dark_scheme: bool) -> QColor:
    """Fusion's check-box border: ``Window.darker(140).lighter(240 if the scheme is dark else 110)``."""
    return window.darker(140).lighter(240 if dark_scheme else 110)


def _fusion_outline(window: QColor) -> QColor:
    """Fusion's outline of fields, frames, tabs and buttons: ``Window.darker(140)``."""
    return window.darker(140)


def _fusion_radio_outline(window: QColor) -> QColor:
    """Fusion's radio-button circle: ``Window.darker(150)``."""
    return window.darker(150)


def window_for_outline(target: QColor, derive: Callable[[QColor], QColor]) -> QColor:
    """The Window colour (in the hue of ``target``) from which ``derive`` gives the outline closest to
    ``target``: the HSV value v of the Window minimising |value(derive(v)) − value(target)|."""
    h, s = target.hsvHue(), target.hsvSaturation()

    def error(v: int) -> int:
        return abs(derive(QColor.fromHsv(max(h, 0), s, v)).value() - target.value())

    best = min(range(256), key=error)
    return QColor.fromHsv(max(h, 0), s, best)


def dark_control_palettes(palette: QPalette, dark_scheme: bool) -> dict[str, QPalette]:
    """Palettes for the widget classes whose outline Fusion derives from Window (see the module notes).

    ``dark_scheme`` says whether the platform reports a dark colour scheme, which makes Fusion draw
    check boxes with a lighter border. Each palette is ``palette`` with the Window colour from which
    Fusion's outline of that class comes out as :data:`DARK_OUTLINE` (:data:`DARK_OUTLINE_DISABLED`
    when disabled); QTabBar's has the Window colour :data:`DARK_TAB`. Their Window brushes still paint
    the window's own colour (:func:`outline_brush`).
    """

    def checkbox(window: QColor) -> QColor:
        return _fusion_checkbox_outline(window, dark_scheme)

    derive_of = {
        "QCheckBox": checkbox,
        "QAbstractItemView": checkbox,  # the check boxes of list items (the target list of the importer)
        "QRadioButton": _fusion_radio_outline,
        "QLineEdit": _fusion_outline,
        "QAbstractSpinBox": _fusion_outline,
        "QComboBox": _fusion_outline,
        "QPushButton": _fusion_outline,
    }
    out = {}
    for class_name, derive in derive_of.items():
        p = QPalette(palette)
        for group, outline in (
            (Group.Active, DARK_OUTLINE),
            (Group.Inactive, DARK_OUTLINE),
            (Group.Disabled, DARK_OUTLINE_DISABLED),
        ):
            fill = palette.color(group, Role.Window)
            p.setBrush(group, Role.Window, outline_brush(fill, window_for_outline(QColor(outline), derive)))
        out[class_name] = p
    tabs = QPalette(palette)  # Fusion fills tabs (of dock areas) from the Window colour: a lighter one
    for group in (Group.Active, Group.Inactive, Group.Disabled):
        tabs.setBrush(group, Role.Window, outline_brush(palette.color(group, Role.Window), QColor(DARK_TAB)))
    out["QTabBar"] = tabs
    return out


def outline_brush(fill: QColor, colour: QColor) -> QBrush:
    """A brush that paints ``fill`` (a one-colour gradient) while its ``color()`` is ``colour``.

    Fusion paints backgrounds with the Window *brush* (a scroll area's corner, an empty header) but
    derives outlines from the Window brush's *colour*; this brush keeps those fills the window's colour.
    """
    gradient = QLinearGradient(0, 0, 0, 1)
    gradient.setCoordinateMode(QGradient.CoordinateMode.ObjectBoundingMode)
    gradient.setColorAt(0, fill)
    gradient.setColorAt(1, fill)
    brush = QBrush(gradient)
    brush.setColor(colour)
    return brush


def window_colour(palette: QPalette, group: QPalette.ColorGroup = Group.Active) -> QColor:
    """The colour the palette's Window brush paints (for an :func:`outline_brush`, its gradient's)."""
    brush = palette.brush(group, Role.Window)
    gradient = brush.gradient()
    return QColor(gradient.stops()[0][1]) if gradient is not None and gradient.stops() else brush.color()


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether ``palette`` (the application's by default) paints windows dark (lightness < 128)."""
    pal = palette or QGuiApplication.palette()
    return window_colour(pal).lightness() < 128


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


#: the icon sizes (logical pixels) the app shows: menus 16, toolbars 20–32, dialogs and the canvas up to 64
ICON_SIZES = (16, 20, 24, 32, 48, 64)
#: device-pixel ratios the icons are rendered for, with those of the screens present (Qt scales the
#: nearest pixmap for any other ratio)
ICON_RATIOS = (1.0, 2.0)
#: opacity of an icon in the Disabled mode
DISABLED_OPACITY = 0.4


def _render_svg(renderer: QSvgRenderer, size: int, ratio: float) -> QImage:
    """The SVG drawn into a transparent ``size``·``ratio`` square image (sharp at that ratio)."""
    px = round(size * ratio)
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, px, px))
    painter.end()
    image.setDevicePixelRatio(ratio)
    return image


def _dimmed(image: QImage, opacity: float) -> QImage:
    """A copy of ``image`` with every pixel's alpha multiplied by ``opacity``."""
    out = QImage(image.size(), QImage.Format.Format_ARGB32_Premultiplied)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setOpacity(opacity)
    painter.drawImage(0, 0, image)
    painter.end()
    out.setDevicePixelRatio(image.devicePixelRatio())
    return out


def _icon_ratios() -> list[float]:
    """:data:`ICON_RATIOS` and the device-pixel ratios of the screens, in increasing order."""
    screens = QGuiApplication.screens() if QGuiApplication.instance() is not None else []
    return sorted(set(ICON_RATIOS) | {round(screen.devicePixelRatio(), 3) for screen in screens})


@lru_cache(maxsize=128)
def _svg_icon(name: str, colour: str) -> QIcon:
    """The SVG icon ``name`` with ``currentColor`` replaced by ``colour``, as pixmaps at every
    :data:`ICON_SIZES` × :data:`ICON_RATIOS` (and the screens' ratios, e.g. 1.5 on a 150 % display),
    Normal and (dimmed by :data:`DISABLED_OPACITY`) Disabled."""
    path = resource_path("icons", f"{name}.svg")
    data = path.read_bytes().replace(b"currentColor", colour.encode())
    renderer = QSvgRenderer(QByteArray(data))
    result = QIcon()
    if not renderer.isValid():
        return result
    for size in ICON_SIZES:
        for ratio in _icon_ratios():
            image = _render_svg(renderer, size, ratio)
            result.addPixmap(QPixmap.fromImage(image), QIcon.Mode.Normal)
            result.addPixmap(QPixmap.fromImage(_dimmed(image, DISABLED_OPACITY)), QIcon.Mode.Disabled)
    return result


#: dynamic property marking an application whose aboutToQuit already empties the icon cache
_HOOK_PROPERTY = "bpstudioIconCacheHooked"


def _drop_icons_at_quit(app: QCoreApplication | None) -> None:
    """Empty the icon cache when ``app`` is about to quit (connected once per application object)."""
    if app is not None and not app.property(_HOOK_PROPERTY):
        app.setProperty(_HOOK_PROPERTY, True)
        app.aboutToQuit.connect(_svg_icon.cache_clear)


# and before Python tears modules down (a test run or a script that never runs the event loop)
atexit.register(_svg_icon.cache_clear)


def icon(name: str) -> QIcon:
    """The toolbar icon ``name`` drawn in the palette's text colour."""
    colour = QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()
    _drop_icons_at_quit(QCoreApplication.instance())
    return _svg_icon(name, colour)


def app_icon() -> QIcon:
    path = resource_path("icons", "bpstudio.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
