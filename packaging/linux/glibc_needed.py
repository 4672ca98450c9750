"""The newest glibc symbol version an app folder needs, from every ELF file in it.

    python3 packaging/linux/glibc_needed.py packaging/dist/bpstudio [--max 2.31]

A program runs only on a glibc at least as new as every GLIBC_x.y version its files ask for (the
version names in their dynamic string tables, read as bundle_libs.py reads them: no binutils needed).
Prints that version and the files that ask for it; with --max, exit status 1 when it is newer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundle_libs import _GLIBC as VERSION  # noqa: E402  (one pattern for both scripts)


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def needed(path: Path) -> tuple[int, ...]:
    """The newest GLIBC_ version ``path``'s dynamic symbols need ((0,) when none)."""
    found = [tuple(int(g) for g in m.groups() if g is not None) for m in VERSION.finditer(path.read_bytes())]
    return max(found, default=(0,))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--max", help="fail when a file needs a newer glibc than this, e.g. 2.31")
    args = p.parse_args(argv)
    files = [f for f in args.folder.rglob("*") if f.is_file() and not f.is_symlink() and is_elf(f)]
    if not files:
        print(f"glibc_needed: no ELF files in {args.folder}", file=sys.stderr)
        return 1
    versions = {f: needed(f) for f in files}
    top = max(versions.values())
    name = ".".join(map(str, top))
    worst = sorted(str(f.relative_to(args.folder)) for f, v in versions.items() if v == top)
    print(
        f"   {len(files)} ELF files; the newest glibc any needs: {name} ({', '.join(worst[:4])}"
        + (f" and {len(worst) - 4} more)" if len(worst) > 4 else ")")
    )
    if args.max is not None:
        limit = tuple(int(x) for x in args.max.split("."))
        if top > limit:
            print(f"glibc_needed: FAIL: needs glibc {name}, more than {args.max}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
