"""Before Qt starts: a missing display or X11 library is one clear line and exit 2 (issue 12.16)."""

from __future__ import annotations

import os
import subprocess
import sys

from bpstudio.app.qt_check import XCB_LIBRARIES, problem
from bpstudio.cli import build_parser

ALL = lambda _so: True  # noqa: E731
UP = lambda _d: True  # noqa: E731


def test_missing_xcb_libraries_are_named_with_the_install_commands():
    missing = {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}
    text = problem({"DISPLAY": ":0"}, "linux", lambda so: so not in missing, UP)
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in text
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4" in text
    assert "sudo dnf install xcb-util-cursor xcb-util-wm" in text
    assert "\n" not in text


def test_every_library_has_both_package_names():
    for so, deb, rpm in XCB_LIBRARIES:
        assert so.startswith("lib") and ".so." in so and deb and rpm


def test_no_display_and_an_unreachable_display_are_reported():
    assert "DISPLAY is not set" in problem({}, "linux", ALL, UP)
    text = problem({"DISPLAY": ":99"}, "linux", ALL, lambda _d: False)
    assert "DISPLAY=:99 does not answer" in text
    assert problem({"DISPLAY": ":0"}, "linux", ALL, lambda _d: None) is None  # cannot tell: Qt will


def test_other_platforms_and_plugins_are_left_to_qt():
    none = lambda _so: False  # noqa: E731
    assert problem({}, "win32", none, UP) is None
    assert problem({}, "darwin", none, UP) is None
    assert problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", none, UP) is None
    assert problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", none, UP) is None
    assert problem({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, "linux", none, UP) is not None
    assert problem({"DISPLAY": ":0"}, "linux", ALL, UP) is None


def test_bpstudio_without_a_display_says_so_in_one_line_and_exits_2():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run(
        [sys.executable, "-m", "bpstudio"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bpstudio: error: no display")
    assert "Reinstalling" not in out.stderr and out.stdout == ""


def test_help_names_the_window_and_the_smoke_test():
    text = build_parser().format_help()
    assert "--smoke-test" in text and "bpstudio [PROJECT]" in text
