"""The icon files and the desktop metadata (menu entry, AppStream, MIME types) that the installers ship."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import bpstudio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
import make_icons  # noqa: E402

DESKTOP = ROOT / "resources" / "desktop" / "bpstudio.desktop"
METAINFO = ROOT / "resources" / "desktop" / "io.github.bpstudio.BackpropStudio.metainfo.xml"
MIME = ROOT / "resources" / "desktop" / "bpstudio-mime.xml"
MIME_NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def _desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_generated_icons_match_the_svg(qapp):
    assert make_icons.check() == []


def test_icon_files_hold_every_size(qapp):
    from PySide6.QtGui import QImage

    for size in make_icons.PNG_SIZES:
        image = QImage(
            str(ROOT / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "bpstudio.png")
        )
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
        assert image.pixelColor(0, 0).alpha() == 0, "corners outside the rounded square are transparent"
        assert image.pixelColor(size // 2, size // 2).alpha() == 255
    ico = make_icons.read_ico(make_icons.ICO.read_bytes())
    assert sorted(ico) == sorted(make_icons.ICO_SIZES)
    for size, png in ico.items():
        assert QImage.fromData(png).width() == size
    icns = make_icons.read_icns(make_icons.ICNS.read_bytes())
    assert sorted(icns) == sorted(k for k, _ in make_icons.ICNS_TYPES)
    for kind, size in make_icons.ICNS_TYPES:
        assert QImage.fromData(icns[kind]).width() == size


def test_the_icon_containers_round_trip():
    pngs = {16: b"\x89PNG-sixteen", 256: b"\x89PNG-big"}
    assert make_icons.read_ico(make_icons.ico_bytes(pngs)) == pngs
    with pytest.raises(ValueError):
        make_icons.read_icns(b"icnX\x00\x00\x00\x08")


def test_the_desktop_entry_launches_bpstudio_with_its_icon_and_file_types():
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Backprop Studio"
    assert entry["Exec"].split()[0] == "bpstudio" and "%f" in entry["Exec"]
    assert entry["Icon"] == "bpstudio"
    assert entry["Terminal"] == "false"
    assert "Education" in entry["Categories"].split(";")
    # the desktop file name is what the app tells the window system (QGuiApplication.setDesktopFileName)
    assert 'setDesktopFileName("bpstudio")' in (ROOT / "bpstudio" / "app" / "launch.py").read_text()
    mime_types = {t.get("type") for t in ET.parse(MIME).getroot().findall("m:mime-type", MIME_NS)}
    assert set(filter(None, entry["MimeType"].split(";"))) == mime_types


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_file_validate_accepts_the_entry():
    proc = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr


def test_the_mime_types_match_project_and_exercise_files():
    root = ET.parse(MIME).getroot()
    globs = {t.get("type"): [g.get("pattern") for g in t.findall("m:glob", MIME_NS)] for t in root}
    assert globs == {
        "application/x-bpstudio-project": ["*.bps.json"],
        "application/x-bpstudio-exercise": ["*.bpx.json"],
    }
    shipped = {p.name for p in (ROOT / "resources").rglob("*.json")}
    assert any(n.endswith(".bps.json") for n in shipped) and any(n.endswith(".bpx.json") for n in shipped)


def test_the_appstream_metadata_names_the_launcher_and_this_version():
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert METAINFO.name == root.findtext("id") + ".metainfo.xml"
    assert root.find("launchable").text == DESKTOP.name
    assert root.find("provides/binary").text == "bpstudio"
    releases = [r.get("version") for r in root.findall("releases/release")]
    assert releases[0] == bpstudio.__version__, "add a <release> for the new version to the metainfo"
    assert root.findtext("project_license") == "MIT"


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_appstreamcli_validates_the_metadata():
    proc = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
