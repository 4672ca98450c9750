"""Which shared libraries the frozen Linux app takes from the OS, and from which Debian packages.

    python3 packaging/linux/bundle_libs.py packaging/dist/bpstudio [--json OUT] [--allow-missing]

For every ELF file in the app folder it asks the dynamic loader (``ldd``, with the bundle's own
folders on the library path, as at run time) where each needed library comes from. Libraries found
inside the bundle are fine; the others come from the OS. PyInstaller leaves out glibc, the OpenGL/EGL
drivers, libxcb and the Wayland client libraries on purpose (they must match the machine's graphics
stack); everything else it bundles from the build machine, so a library that is *missing* on the build
machine is silently missing from the bundle. This script fails (exit 1) in that case, naming the
library, so a build never ships an app that cannot start.

It prints, and writes as JSON with --json: the OS libraries with their paths and Debian packages (via
``dpkg -S``), the libraries not found, and the newest glibc symbol version the bundle needs. The .deb
and .rpm builders take their dependencies from this JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
_LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(.*?)\s*(\(0x[0-9a-f]+\))?$")
_GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?\x00")


def elf_files(app: Path) -> list[Path]:
    """Every regular ELF file under ``app`` (executables and shared libraries), sorted."""
    out = []
    for p in sorted(app.rglob("*")):
        if p.is_file() and not p.is_symlink():
            with p.open("rb") as fh:
                if fh.read(4) == ELF_MAGIC:
                    out.append(p)
    return out


def library_dirs(app: Path, files: list[Path]) -> list[Path]:
    """Folders of the bundle that hold shared libraries (the run-time search path)."""
    return sorted({f.parent for f in files if ".so" in f.name} | {app / "_internal"})


def ldd(path: Path, lib_path: str) -> dict[str, str | None]:
    """soname → resolved path (None when not found) of the libraries ``path`` needs."""
    env = dict(os.environ, LD_LIBRARY_PATH=lib_path, LC_ALL="C")
    proc = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env, check=False)
    out: dict[str, str | None] = {}
    for line in proc.stdout.splitlines():
        m = _LDD_LINE.match(line)
        if not m:
            continue
        name, where = m.group(1), m.group(2)
        out[name] = None if where == "not found" else where
    return out


def glibc_needed(files: list[Path]) -> str:
    """The newest ``GLIBC_x.y`` symbol version any of the files references (e.g. "2.34")."""
    best = (0, 0, 0)
    for f in files:
        for m in _GLIBC.finditer(f.read_bytes()):
            best = max(best, tuple(int(g or 0) for g in m.groups()))
    return ".".join(str(n) for n in (best if best[2] else best[:2]))


def debian_package(path: str) -> str | None:
    """The installed Debian package that owns ``path`` (trying the /usr-merged twin too), or None."""
    real = os.path.realpath(path)
    candidates = [path, real]
    for p in list(candidates):
        if p.startswith("/usr/lib/"):
            candidates.append(p[len("/usr") :])
        elif p.startswith("/lib/"):
            candidates.append("/usr" + p)
    for p in dict.fromkeys(candidates):
        try:
            proc = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True, check=False)
        except FileNotFoundError:  # not a Debian system
            return None
        if proc.returncode == 0 and ":" in proc.stdout:
            pkg = proc.stdout.split(":", 1)[0].strip()
            return pkg.split(",")[0].strip()
    return None


def analyse(app: Path) -> dict:
    """The report: ``system`` {soname: {path, package, needed_by}}, ``missing`` {soname: [files]},
    ``glibc`` (newest symbol version needed), ``files`` (ELF files examined)."""
    app = app.resolve()
    files = elf_files(app)
    lib_path = os.pathsep.join(str(d) for d in library_dirs(app, files))
    system: dict[str, dict] = {}
    missing: dict[str, list[str]] = {}
    for f in files:
        rel = str(f.relative_to(app))
        for name, where in ldd(f, lib_path).items():
            if where is None:
                missing.setdefault(name, []).append(rel)
            elif not Path(where).resolve().is_relative_to(app):
                entry = system.setdefault(name, {"path": where, "needed_by": []})
                entry["needed_by"].append(rel)
    for entry in system.values():
        entry["package"] = debian_package(entry["path"])
        entry["needed_by"] = sorted(entry["needed_by"])[:5] + (
            [f"... {len(entry['needed_by']) - 5} more"] if len(entry["needed_by"]) > 5 else []
        )
    return {
        "app": str(app),
        "files": len(files),
        "glibc": glibc_needed(files),
        "system": dict(sorted(system.items())),
        "missing": {k: sorted(v) for k, v in sorted(missing.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", type=Path, help="the app folder (packaging/dist/bpstudio)")
    parser.add_argument("--json", type=Path, help="write the report here")
    parser.add_argument("--allow-missing", action="store_true", help="report missing libraries, exit 0")
    args = parser.parse_args(argv)
    report = analyse(args.app)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"{report['files']} ELF files; they need glibc {report['glibc']} or newer")
    print("libraries taken from the OS:")
    for name, entry in report["system"].items():
        print(f"  {name:<28} {entry['package'] or '?':<22} {entry['path']}")
    if report["missing"]:
        print("NOT FOUND on this machine (so not bundled, and the app may not start):", file=sys.stderr)
        for name, users in report["missing"].items():
            print(f"  {name:<28} needed by {', '.join(users[:3])}", file=sys.stderr)
        if not args.allow_missing:
            print("install them (see docs/installing.md) and build again", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
