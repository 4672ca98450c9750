"""Themed icons: plain pixmap QIcons, sharp at every size and device-pixel ratio the app uses, dimmed
when disabled, recoloured with the theme, dropped when the app quits, and a clean process exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QByteArray, QSize
from PySide6.QtGui import QColor, QIcon, QImage
from PySide6.QtSvg import QSvgRenderer

from bpstudio import resource_path
from bpstudio.app import theme
from bpstudio.app.theme import DISABLED_OPACITY, ICON_RATIOS, ICON_SIZES, apply_theme, icon


def argb(image: QImage) -> QImage:
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def max_alpha(image: QImage) -> int:
    image = argb(image)
    return max(
        QColor.fromRgba(image.pixel(x, y)).alpha()
        for y in range(image.height())
        for x in range(image.width())
    )


def svg_at(name: str, colour: str, px: int) -> QImage:
    """The recoloured SVG drawn straight at ``px`` × ``px`` device pixels (what a sharp icon must show)."""
    data = resource_path("icons", f"{name}.svg").read_bytes().replace(b"currentColor", colour.encode())
    image = theme._render_svg(QSvgRenderer(QByteArray(data)), px, 1.0)
    image.setDevicePixelRatio(1.0)
    return argb(image)


@pytest.fixture
def light(qapp):
    apply_theme(qapp, "light")
    yield
    apply_theme(qapp, "system")


def test_icons_are_drawn_for_every_size_and_ratio_not_scaled(qapp, light):
    ic = icon("save")
    colour = qapp.palette().color(qapp.palette().ColorRole.WindowText).name()
    for size in ICON_SIZES:
        for ratio in ICON_RATIOS:
            pm = ic.pixmap(QSize(size, size), ratio)
            px = round(size * ratio)
            assert (pm.width(), pm.height(), pm.devicePixelRatio()) == (px, px, ratio)
            got = argb(pm.toImage())
            got.setDevicePixelRatio(1.0)
            assert got == svg_at("save", colour, px), (size, ratio)


def test_disabled_icons_are_visibly_dimmed(qapp, light):
    ic = icon("undo")
    for size in (16, 24):
        normal = max_alpha(ic.pixmap(QSize(size, size), 1.0, QIcon.Mode.Normal).toImage())
        disabled = max_alpha(ic.pixmap(QSize(size, size), 1.0, QIcon.Mode.Disabled).toImage())
        assert normal == 255
        assert disabled == pytest.approx(DISABLED_OPACITY * 255, abs=3)


def test_icons_take_the_colour_of_the_theme(qapp):
    try:
        apply_theme(qapp, "dark")
        dark = argb(icon("open").pixmap(24, 24).toImage())
        apply_theme(qapp, "light")
        lit = argb(icon("open").pixmap(24, 24).toImage())
    finally:
        apply_theme(qapp, "system")

    def stroke_lightness(image: QImage) -> int:
        colours = [QColor.fromRgba(image.pixel(x, y)) for y in range(24) for x in range(24)]
        return max(colours, key=lambda c: c.alpha()).lightness()

    assert stroke_lightness(dark) > 200 and stroke_lightness(lit) < 60


#: a child process on a 150 % screen: is a 24 px icon drawn at 36 device pixels, not scaled from 48?
FRACTIONAL = textwrap.dedent(
    """
    from PySide6.QtCore import QByteArray, QSize
    from PySide6.QtGui import QImage
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QApplication
    from bpstudio import resource_path
    from bpstudio.app import theme

    app = QApplication([])
    ratio = app.primaryScreen().devicePixelRatio()
    colour = app.palette().color(app.palette().ColorRole.WindowText).name()
    got = theme.icon("save").pixmap(QSize(24, 24), ratio).toImage()
    data = resource_path("icons", "save.svg").read_bytes().replace(b"currentColor", colour.encode())
    want = theme._render_svg(QSvgRenderer(QByteArray(data)), 36, 1.0)
    for image in (got, want):
        image.setDevicePixelRatio(1.0)
    argb = QImage.Format.Format_ARGB32
    same = got.convertToFormat(argb) == want.convertToFormat(argb)
    print("ratio", ratio, "size", got.width(), "same", same, flush=True)
    """
)


def test_icons_are_sharp_on_a_screen_with_a_fractional_scale(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="1.5", HOME=str(tmp_path))
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", FRACTIONAL], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ratio 1.5 size 36 same True" in done.stdout, done.stdout


#: a child process: the app's icons on a toolbar in the dark theme, then the event loop quits (or never runs)
CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QToolBar
    from bpstudio.app.theme import _svg_icon, apply_theme, icon

    app = QApplication([])
    apply_theme(app, "dark")
    bar = QToolBar()
    for name in ("new", "open", "save", "undo", "redo"):
        bar.addAction(icon(name), name)
    bar.actions()[3].setEnabled(False)
    bar.show()
    app.processEvents()
    bar.grab()
    print("cached", _svg_icon.cache_info().currsize, flush=True)
    if sys.argv[1] == "quit":
        QTimer.singleShot(0, app.quit)
        app.exec()
        print("after quit", _svg_icon.cache_info().currsize, flush=True)
    """
)


@pytest.mark.parametrize("how", ["quit", "no-event-loop"])
def test_the_process_exits_cleanly_with_icons_alive(tmp_path, how):
    """Python tears everything down (no os._exit): exit status 0, and quitting empties the icon cache."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    env.pop("BPSTUDIO_FULL_TEARDOWN", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, how], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "cached 5" in done.stdout
    if how == "quit":
        assert "after quit 0" in done.stdout
