"""The Linux package builders (packaging/linux/stage.py, bundle_libs.py) on small stand-in app folders.

The real app folder, .deb and .rpm are built, installed and smoke-tested by .ci/run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging" / "linux"))
import bundle_libs  # noqa: E402
import stage  # noqa: E402

LIBS = {
    "glibc": "2.36",
    "system": {
        "libc.so.6": {"path": "/lib/x86_64-linux-gnu/libc.so.6", "package": "libc6"},
        "libm.so.6": {"path": "/lib/x86_64-linux-gnu/libm.so.6", "package": "libc6"},
        "libxcb.so.1": {"path": "/lib/x86_64-linux-gnu/libxcb.so.1", "package": "libxcb1"},
        "libGL.so.1": {"path": "/lib/x86_64-linux-gnu/libGL.so.1", "package": "libgl1"},
    },
    "missing": {},
}
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF and ldd are Linux things")


@pytest.fixture
def fake_app(tmp_path) -> Path:
    """An app folder shaped like PyInstaller's: an executable ``bpstudio`` and ``_internal/``."""
    app = tmp_path / "bpstudio"
    (app / "_internal" / "bpstudio" / "resources").mkdir(parents=True)
    exe = app / "bpstudio"
    exe.write_text("#!/bin/sh\necho 'bpstudio 0.0.0'\n", encoding="ascii")
    exe.chmod(0o755)
    (app / "_internal" / "bpstudio" / "resources" / "RESOURCES.md").write_text("x", encoding="ascii")
    return app


def test_share_lays_out_the_freedesktop_files(tmp_path):
    written = {p.relative_to(tmp_path).as_posix() for p in stage.share(tmp_path)}
    assert {
        "applications/bpstudio.desktop",
        f"metainfo/{stage.APPSTREAM_ID}.metainfo.xml",
        "mime/packages/bpstudio.xml",
        "icons/hicolor/scalable/apps/bpstudio.svg",
        "icons/hicolor/48x48/apps/bpstudio.png",
        "icons/hicolor/512x512/apps/bpstudio.png",
    } <= written
    assert all((tmp_path / w).stat().st_size > 0 for w in written)


def test_debian_depends_come_from_the_library_report():
    depends = stage.deb_depends(LIBS)
    assert depends[0] == "libc6 (>= 2.36)"
    assert set(depends[1:]) == {"libgl1", "libxcb1", *stage.DEB_DATA_DEPENDS}
    broken = {
        **LIBS,
        "system": {**LIBS["system"], "libfoo.so.1": {"path": "/x/libfoo.so.1", "package": None}},
    }
    with pytest.raises(SystemExit, match="libfoo"):
        stage.deb_depends(broken)


def test_rpm_requires_are_library_capabilities():
    requires = stage.rpm_requires(LIBS, "x86_64")
    assert requires[0] == "libc.so.6(GLIBC_2.36)(64bit)"
    assert "libxcb.so.1()(64bit)" in requires and "libGL.so.1()(64bit)" in requires
    assert not any(r.startswith("libm.so") for r in requires)
    assert set(stage.RPM_DATA_REQUIRES) <= set(requires)


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")
def test_the_deb_installs_the_app_under_opt_with_a_launcher_and_menu_entry(fake_app, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    deb = stage.build_deb(fake_app, LIBS, "1.2.3", "amd64", out)
    assert deb.name == "bpstudio_1.2.3-1_amd64.deb"
    field = lambda name: subprocess.run(  # noqa: E731
        ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert field("Package") == "bpstudio" and field("Version") == "1.2.3-1"
    assert field("Depends").startswith("libc6 (>= 2.36), ")
    assert int(field("Installed-Size")) > 0
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    paths = {line.split()[5].removeprefix(".") for line in listing.splitlines()}
    assert {
        "/opt/bpstudio/bpstudio",
        "/opt/bpstudio/_internal/bpstudio/resources/RESOURCES.md",
        "/usr/bin/bpstudio",
        "/usr/share/applications/bpstudio.desktop",
        "/usr/share/icons/hicolor/256x256/apps/bpstudio.png",
        f"/usr/share/metainfo/{stage.APPSTREAM_ID}.metainfo.xml",
        "/usr/share/mime/packages/bpstudio.xml",
        "/usr/share/doc/bpstudio/copyright",
    } <= paths
    assert "root/root" in listing and os.environ.get("USER", "x") + "/" not in listing.replace(
        "root/root", ""
    )
    # no maintainer scripts: the package manager alone installs and removes every file
    control = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True, check=True).stdout
    assert not any(script in control for script in ("postinst", "prerm", "postrm", "preinst"))
    unpacked = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    launcher = (unpacked / "usr" / "bin" / "bpstudio").read_text()
    assert launcher.startswith("#!/bin/sh") and 'exec /opt/bpstudio/bpstudio "$@"' in launcher
    assert os.access(unpacked / "usr" / "bin" / "bpstudio", os.X_OK)


@linux_only
def test_bundle_libs_reports_os_libraries_and_glibc(tmp_path):
    app = tmp_path / "app"
    (app / "_internal").mkdir(parents=True)
    shutil.copy2(shutil.which("true"), app / "bpstudio")
    report = bundle_libs.analyse(app)
    assert report["files"] == 1
    assert "libc.so.6" in report["system"] and report["missing"] == {}
    major, minor = (int(x) for x in report["glibc"].split(".")[:2])
    assert (major, minor) >= (2, 2)
    if shutil.which("dpkg"):
        assert report["system"]["libc.so.6"]["package"] == "libc6"
    assert bundle_libs.main([str(app), "--json", str(tmp_path / "r.json")]) == 0


@linux_only
def test_bundle_libs_fails_when_a_library_is_missing(tmp_path, capsys):
    import PySide6

    pyside_lib = next(Path(PySide6.__file__).parent.glob("libpyside6.abi3.so*"))
    app = tmp_path / "app"
    (app / "_internal").mkdir(parents=True)
    shutil.copy2(pyside_lib, app / "_internal" / pyside_lib.name)  # without the Qt libraries it links to
    report = bundle_libs.analyse(app)
    assert "libQt6Core.so.6" in report["missing"]
    assert bundle_libs.main([str(app)]) == 1
    assert "libQt6Core.so.6" in capsys.readouterr().err
    assert bundle_libs.main([str(app), "--allow-missing"]) == 0


def test_glibc_needed_reports_the_newest_symbol_version_and_enforces_a_limit(tmp_path, capsys):
    """packaging/linux/glibc_needed.py, which CI runs on the Debian 11 build with --max 2.31."""
    import glibc_needed

    app = tmp_path / "app"
    app.mkdir()
    shutil.copy("/bin/ls", app / "prog")
    (app / "notes.txt").write_text("not an ELF file", encoding="utf-8")
    assert glibc_needed.main([str(app)]) == 0
    line = capsys.readouterr().out
    assert "ELF files; the newest glibc any needs: 2." in line and "prog" in line
    assert glibc_needed.main([str(app), "--max", "2.0"]) == 1
    assert glibc_needed.main([str(app), "--max", "99.0"]) == 0
    (tmp_path / "empty").mkdir()
    assert glibc_needed.main([str(tmp_path / "empty")]) == 1
