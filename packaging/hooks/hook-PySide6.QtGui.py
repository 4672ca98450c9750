"""PyInstaller hook for PySide6.QtGui (replaces PyInstaller's own, which this one calls): leaves out
the Qt plug-ins and translations Backprop Studio never uses, *before* PyInstaller looks for the
libraries they link to, so none of those libraries are bundled either.

Kept: the xcb, wayland, offscreen and minimal platforms (Linux), windows and cocoa (elsewhere), the
image formats and icon engine that draw the SVG icons, the XDG portal theme, the input methods.
Dropped: the GTK 3 theme and the TIFF reader (they link GTK 3 and libtiff from the build machine, and
PyInstaller would bundle half of GTK's stack), the framebuffer/EGL/VNC platforms and their evdev and
TUIO input plug-ins.
"""

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNWANTED_PLUGINS = (
    "platformthemes/libqgtk3",
    "imageformats/libqtiff",
    "imageformats/qtiff",
    "generic/",
    "egldeviceintegrations/",
    "platforms/libqeglfs",
    "platforms/libqlinuxfb",
    "platforms/libqminimalegl",
    "platforms/libqvkkhrdisplay",
    "platforms/libqvnc",
    "platforms/qdirect2d",
)


def wanted(src: str, dest: str) -> bool:
    """False for an unwanted plug-in (paths compared in lower case, with forward slashes)."""
    path = (dest.replace("\\", "/").rstrip("/") + "/" + src.replace("\\", "/").rsplit("/", 1)[-1]).lower()
    return not ("/plugins/" in path and any(part in path for part in UNWANTED_PLUGINS))


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if wanted(src, dest)]
