"""Print the sizes of the built app folder and installers; fail if the app folder is over budget.

    python3 packaging/sizes.py [--dist packaging/dist] [--max-app-mb 250]

The app folder (packaging/dist/bpstudio, or the .app on macOS) is what a lab machine stores; the
packages are what it downloads. Sizes are in MB (10^6 bytes), as docs/benchmarks.md reports them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_PATTERNS = ("*.deb", "*.rpm", "*.tar.gz", "*.zip", "*.exe", "*.pkg", "*.whl")


def folder_size(path: Path) -> tuple[int, int]:
    """(bytes, files) of every regular file under ``path`` (symbolic links not followed)."""
    total = files = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
            files += 1
    return total, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "packaging" / "dist")
    parser.add_argument("--max-app-mb", type=float, default=250.0, help="budget of the app folder")
    args = parser.parse_args(argv)
    apps = [p for p in (args.dist / "bpstudio", *args.dist.glob("*.app")) if p.is_dir()]
    if not apps:
        print(f"sizes: no app folder in {args.dist}", file=sys.stderr)
        return 1
    over = False
    for app in apps:
        size, files = folder_size(app)
        mb = size / 1e6
        print(f"app folder {app.name}: {mb:.1f} MB in {files} files (budget {args.max_app_mb:.0f} MB)")
        over |= mb > args.max_app_mb
    for pattern in PACKAGE_PATTERNS:
        for p in sorted(args.dist.glob(pattern)):
            print(f"{p.name}: {p.stat().st_size / 1e6:.1f} MB")
    if over:
        print("sizes: the app folder is over budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
