"""Lay out and build the Linux packages of the frozen app (called by packaging/linux/build.sh).

    stage.py share DEST                                   desktop entry, icons, AppStream, MIME types
    stage.py deb APP --libs LIBS.json --version V --arch A --out DIR
    stage.py rpm APP --libs LIBS.json --version V --arch A --out DIR --work DIR

Both packages install the same files:

    /opt/bpstudio/                                   the app folder (PyInstaller one-folder build)
    /usr/bin/bpstudio                                a launcher script: exec /opt/bpstudio/bpstudio "$@"
    /usr/share/applications/bpstudio.desktop         the menu entry
    /usr/share/icons/hicolor/*/apps/bpstudio.{png,svg}
    /usr/share/metainfo/<AppStream id>.metainfo.xml  for software centres
    /usr/share/mime/packages/bpstudio.xml            *.bps.json and *.bpx.json open in the app
    /usr/share/doc/bpstudio/{copyright,THIRD-PARTY.md}

No maintainer scripts: Debian's and Fedora's desktop-file-utils, shared-mime-info and icon-cache
packages refresh their caches through triggers when files land in (or leave) those folders, so the
package manager alone installs and removes everything, and an uninstall leaves nothing behind.

Dependencies come from the report of bundle_libs.py (the libraries the bundle takes from the OS),
plus the data the bundled libraries read from the OS (fontconfig's configuration and fonts, the XKB
keyboard descriptions).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
PACKAGING = ROOT / "packaging"

NAME = "bpstudio"
APPSTREAM_ID = "io.github.bpstudio.BackpropStudio"
MAINTAINER = os.environ.get("BPSTUDIO_MAINTAINER", "bpstudio developers <bpstudio@users.noreply.github.com>")
SUMMARY = "draw a neural network and watch backpropagation, one delta at a time"
DESCRIPTION = """\
Backprop Studio is a teaching tool for university courses on neural networks.
Students draw a feedforward network, choose activations, loss and optimiser, and
step backpropagation one layer, sample, batch or epoch at a time, with every
neuron's net input, activation, derivative and delta and every weight's gradient
and change on screen. It works offline.

This package holds a self-contained build (Python, Qt for Python, NumPy and
pyqtgraph bundled) in /opt/bpstudio."""
LAUNCHER = """#!/bin/sh
# Backprop Studio launcher (installed by the bpstudio package)
exec /opt/bpstudio/bpstudio "$@"
"""

#: compression of the packages' payload: xz, because the packages install on Debian 11, whose dpkg
#: (1.20) cannot read zstd (Debian's dpkg reads it from 1.21.18 on); rpm reads xz everywhere.
#: Level 2 keeps the build quick (xz -6, dpkg's default, takes several times as long for a few MB).
#: Override with BPSTUDIO_COMPRESSION=xz:6 for the smallest files, or zstd:10 for Debian 12+ only.
_kind, _, _level = os.environ.get("BPSTUDIO_COMPRESSION", "xz:2").partition(":")
DEB_COMPRESSION = (_kind, int(_level or 6))
RPM_PAYLOAD = f"w{DEB_COMPRESSION[1]}.{'zstdio' if _kind == 'zstd' else 'xzdio'}"

#: OS data (not libraries) the bundled libraries read: Debian packages, RPM capabilities
DEB_DATA_DEPENDS = ["fontconfig-config", "xkb-data"]
RPM_DATA_REQUIRES = ["fontconfig", "xkeyboard-config"]


# ---------------------------------------------------------------------------- shared files
def share(dest: Path) -> list[Path]:
    """Write the desktop integration files under ``dest`` (a ``share`` folder); the files written."""
    desktop = RESOURCES / "desktop"
    icons = RESOURCES / "icons"
    files = {
        dest / "applications" / f"{NAME}.desktop": desktop / f"{NAME}.desktop",
        dest / "metainfo" / f"{APPSTREAM_ID}.metainfo.xml": desktop / f"{APPSTREAM_ID}.metainfo.xml",
        dest / "mime" / "packages" / f"{NAME}.xml": desktop / f"{NAME}-mime.xml",
        dest / "icons" / "hicolor" / "scalable" / "apps" / f"{NAME}.svg": icons / f"{NAME}.svg",
    }
    for png in sorted((icons / "hicolor").glob(f"*/apps/{NAME}.png")):
        files[dest / "icons" / "hicolor" / png.relative_to(icons / "hicolor")] = png
    for target, source in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(0o644)
    return sorted(files)


def copy_app(app: Path, target: Path) -> None:
    """Copy the app folder (hard links where the file system allows: it is about 180 MB)."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(app, target, symlinks=True, copy_function=link_or_copy)


def stage_tree(app: Path, root: Path) -> None:
    """The installed file tree under ``root`` (as it will be under /)."""
    copy_app(app, root / "opt" / NAME)
    launcher = root / "usr" / "bin" / NAME
    launcher.parent.mkdir(parents=True)
    launcher.write_text(LAUNCHER, encoding="ascii")
    launcher.chmod(0o755)
    share(root / "usr" / "share")
    doc = root / "usr" / "share" / "doc" / NAME
    doc.mkdir(parents=True)
    shutil.copyfile(PACKAGING / "linux" / "copyright", doc / "copyright")
    shutil.copyfile(PACKAGING / "THIRD-PARTY.md", doc / "THIRD-PARTY.md")
    for d in [root, *root.rglob("*")]:
        if d.is_dir() and not d.is_symlink():
            d.chmod(0o755)


def installed_size_kib(root: Path) -> int:
    return sum(-(-p.lstat().st_size // 1024) for p in root.rglob("*") if p.is_file() or p.is_symlink())


# ---------------------------------------------------------------------------- .deb
def deb_depends(libs: dict) -> list[str]:
    """Debian Depends: the packages of the OS libraries the bundle links to, glibc with its minimum."""
    packages = {e["package"] for e in libs["system"].values() if e.get("package")}
    unknown = sorted(name for name, e in libs["system"].items() if not e.get("package"))
    if unknown:
        raise SystemExit(f"no Debian package owns {', '.join(unknown)}: cannot write Depends")
    packages.discard("libc6")
    return [f"libc6 (>= {libs['glibc']})", *sorted(packages | set(DEB_DATA_DEPENDS))]


def deb_control(version: str, arch: str, depends: list[str], installed_kib: int) -> str:
    body = "\n".join(" " + (line if line.strip() else ".") for line in DESCRIPTION.splitlines())
    return (
        f"Package: {NAME}\n"
        f"Version: {version}-1\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(depends)}\n"
        "Section: education\n"
        "Priority: optional\n"
        f"Description: {SUMMARY}\n{body}\n"
    )


def build_deb(app: Path, libs: dict, version: str, arch: str, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="bpstudio-deb-", dir=out) as tmp:
        root = Path(tmp) / "root"
        stage_tree(app, root)
        control_dir = root / "DEBIAN"
        control_dir.mkdir(mode=0o755)
        (control_dir / "control").write_text(
            deb_control(version, arch, deb_depends(libs), installed_size_kib(root)), encoding="utf-8"
        )
        (control_dir / "control").chmod(0o644)
        target = out / f"{NAME}_{version}-1_{arch}.deb"
        kind, level = DEB_COMPRESSION
        cmd = ["dpkg-deb", "--root-owner-group", f"-Z{kind}", f"-z{level}", "--build", str(root), str(target)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"dpkg-deb failed: {proc.stderr.strip()}")
    print(f"   {target} ({target.stat().st_size / 1e6:.1f} MB); Depends: {', '.join(deb_depends(libs))}")
    return target


# ---------------------------------------------------------------------------- .rpm
def rpm_requires(libs: dict, arch: str) -> list[str]:
    """RPM Requires as library capabilities (``libxcb.so.1()(64bit)``), valid on every RPM distro."""
    suffix = "()(64bit)" if arch in ("x86_64", "aarch64", "ppc64le", "s390x") else "()"
    names = sorted(
        n for n in libs["system"] if not n.startswith(("libc.so", "libm.so", "libdl.", "libpthread."))
    )
    glibc = f"libc.so.6(GLIBC_{libs['glibc']}){suffix[2:]}" if suffix != "()" else "glibc"
    return [glibc, *(n + suffix for n in names), *RPM_DATA_REQUIRES]


def rpm_spec(version: str, arch: str, requires: list[str], staged: Path) -> str:
    files = []
    for p in sorted(staged.rglob("*")):
        rel = "/" + str(p.relative_to(staged))
        if rel == f"/opt/{NAME}" or rel.startswith("/usr/share/doc/"):
            continue
        if p.is_dir() and not rel.startswith(f"/opt/{NAME}"):
            continue  # shared system folders are owned by the filesystem package
        if not rel.startswith(f"/opt/{NAME}/"):
            files.append(f'"{rel}"')
    return f"""\
Name:           {NAME}
Version:        {version}
Release:        1
Summary:        Backprop Studio: {SUMMARY}
License:        MIT AND LGPL-3.0-only AND BSD-3-Clause AND PSF-2.0
BuildArch:      {arch}
AutoReqProv:    no
Requires:       {", ".join(requires)}

%global debug_package %{{nil}}
%global __os_install_post %{{nil}}
%global _build_id_links none

%description
{DESCRIPTION}

%install
mkdir -p %{{buildroot}}
cp -a {staged}/. %{{buildroot}}/

%files
%dir /opt/{NAME}
/opt/{NAME}/*
/usr/share/doc/{NAME}
{chr(10).join(files)}
"""


def build_rpm(app: Path, libs: dict, version: str, arch: str, out: Path, work: Path) -> Path:
    if shutil.which("rpmbuild") is None:
        raise SystemExit("rpmbuild is not installed (Debian: apt-get install rpm)")
    shutil.rmtree(work, ignore_errors=True)
    staged = work / "staged"
    stage_tree(app, staged)
    spec = work / f"{NAME}.spec"
    spec.write_text(rpm_spec(version, arch, rpm_requires(libs, arch), staged), encoding="utf-8")
    cmd = [
        "rpmbuild",
        "-bb",
        "--define",
        f"_topdir {work / 'top'}",
        "--define",
        f"_binary_payload {RPM_PAYLOAD}",
        "--target",
        arch,
        str(spec),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"rpmbuild failed:\n{proc.stderr[-3000:]}")
    built = next((work / "top" / "RPMS").rglob("*.rpm"))
    target = out / built.name
    shutil.move(built, target)
    shutil.rmtree(staged)
    print(f"   {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return target


# ---------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("share", help="write the desktop integration files under DEST")
    p.add_argument("dest", type=Path)
    for kind in ("deb", "rpm"):
        p = sub.add_parser(kind, help=f"build the .{kind} from the app folder APP")
        p.add_argument("app", type=Path)
        p.add_argument("--libs", type=Path, required=True, help="bundle_libs.py's JSON report")
        p.add_argument("--version", required=True)
        p.add_argument("--arch", required=True)
        p.add_argument("--out", type=Path, required=True)
        if kind == "rpm":
            p.add_argument("--work", type=Path, required=True, help="scratch folder for rpmbuild")
    args = parser.parse_args(argv)
    if args.what == "share":
        for f in share(args.dest):
            print(f"   {f}")
        return 0
    if not (args.app / NAME).is_file():
        print(f"stage.py: {args.app} is not the app folder (no {NAME} executable in it)", file=sys.stderr)
        return 2
    libs = json.loads(args.libs.read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "deb":
        build_deb(args.app, libs, args.version, args.arch, args.out)
    else:
        build_rpm(args.app, libs, args.version, args.arch, args.out, args.work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
