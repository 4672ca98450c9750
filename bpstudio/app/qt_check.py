"""Before Qt starts: is there a display, and can Qt's X11 platform plugin load its libraries?

Without them Qt prints a screenful and aborts ("Reinstalling the application may fix this problem").
:func:`problem` finds the cause first, without importing Qt, so that ``bpstudio`` can say in one line
what is missing and how to install it, and exit with status 2. Only the X11 (xcb) plugin is checked:
it is the one Linux uses unless a Wayland session or QT_QPA_PLATFORM chooses another.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

#: the libraries Qt's xcb plugin loads beyond the X11 basics: (soname, Debian/Ubuntu package, Fedora package)
XCB_LIBRARIES = (
    ("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    ("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    ("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    ("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    ("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    ("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    ("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    ("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
)


def _bundled_dirs() -> list[Path]:
    """Folders a frozen app or the PySide6 wheel carries libraries in (found there, Qt finds them too)."""
    dirs: list[Path] = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        dirs.append(Path(frozen))
    try:
        import importlib.util

        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).parent / "Qt" / "lib")
    return dirs


def can_load(soname: str) -> bool:
    """True when the dynamic linker finds ``soname``, or a bundled copy of it exists."""
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        pass
    return any(any(d.rglob(soname)) for d in _bundled_dirs() if d.is_dir())


def display_reachable(display: str) -> bool | None:
    """Whether an X server answers on ``display`` (asked through libxcb as Qt will); None if libxcb
    itself cannot be loaded (then the library check reports it)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    try:
        return bool(conn) and xcb.xcb_connection_has_error(conn) == 0
    finally:
        if conn:
            xcb.xcb_disconnect(conn)


def problem(
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    loadable: Callable[[str], bool] = can_load,
    reachable: Callable[[str], bool | None] = display_reachable,
) -> str | None:
    """One line saying why the window cannot open on this machine, or None when it can (or when the
    platform is not X11 on Linux, where Qt reports its own problems)."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if qpa and qpa != "xcb":
        return None  # offscreen, wayland, vnc …: not the X11 plugin
    if not qpa and env.get("WAYLAND_DISPLAY"):
        return None  # a Wayland session: Qt uses its Wayland plugin
    if not env.get("DISPLAY"):
        return (
            "no display: DISPLAY is not set. Start bpstudio from a desktop session "
            "(or, for a check without a screen, run with QT_QPA_PLATFORM=offscreen)"
        )
    missing = [(so, deb, rpm) for so, deb, rpm in XCB_LIBRARIES if not loadable(so)]
    if not missing:
        if reachable(env["DISPLAY"]) is False:
            return (
                f"no display: the X server of DISPLAY={env['DISPLAY']} does not answer "
                "(is the desktop session still running, and may this user connect to it?)"
            )
        return None
    names = ", ".join(so for so, _d, _r in missing)
    debs = " ".join(dict.fromkeys(d for _s, d, _r in missing))
    rpms = " ".join(dict.fromkeys(r for _s, _d, r in missing))
    return (
        f"the window cannot open: Qt needs {names}. Install with: sudo apt install {debs} "
        f"(Debian/Ubuntu) or sudo dnf install {rpms} (Fedora)"
    )
