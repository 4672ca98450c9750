#!/usr/bin/env bash
# Build Backprop Studio for Linux: the frozen app folder, a .tar.gz of it, a .deb, and (with --rpm) an .rpm.
#
#   packaging/linux/build.sh [--rpm] [--no-deb] [--keep-venv] [--python PYTHON] [--requirements FILE]
#
# --keep-venv reuses packaging/build/venv from an earlier run (quicker when iterating on the spec).
# --requirements: the pinned build requirements (default packaging/requirements-build.txt; the
# Debian 11 build, packaging/linux/build_bullseye.sh, gives packaging/linux/requirements-glibc228.txt).
#
# Needs: Python 3.11+ with venv, network access to PyPI, ldd (libc-bin), strip (binutils, optional),
# dpkg-deb (for the .deb), rpmbuild (for --rpm: `apt-get install rpm`), and the X11/xcb libraries
# Qt's xcb plug-in links to installed on the build machine (they are bundled from it; the build stops
# if one is missing):
#   apt-get install libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
#     libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xkb1 libegl1 libgl1 \
#     libwayland-cursor0 libwayland-egl1
# Everything is built from scratch in packaging/build (a new venv with the pinned build requirements);
# the results land in packaging/dist:
#   bpstudio/                                  the app folder (run bpstudio/bpstudio)
#   bpstudio-VERSION-linux-ARCH.tar.gz         that folder plus desktop entry and icons
#   bpstudio_VERSION-1_ARCH.deb                installs to /opt/bpstudio, launcher /usr/bin/bpstudio
#   bpstudio-VERSION-1.ARCH.rpm                the same for RPM-based distributions (--rpm)
#   bpstudio-VERSION-py3-none-any.whl          the wheel the app was frozen from
# Each step prints its duration; timings.txt in packaging/build collects them.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PACKAGING="$ROOT/packaging"
BUILD="$PACKAGING/build"
DIST="$PACKAGING/dist"
PYTHON="${PYTHON:-python3}"
MAKE_DEB=1
MAKE_RPM=0
KEEP_VENV=0
REQUIREMENTS="$PACKAGING/requirements-build.txt"
while [ $# -gt 0 ]; do
  case "$1" in
    --rpm) MAKE_RPM=1 ;;
    --no-deb) MAKE_DEB=0 ;;
    --keep-venv) KEEP_VENV=1 ;;
    --python) PYTHON="$2"; shift ;;
    --requirements) REQUIREMENTS="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

export PIP_DISABLE_PIP_VERSION_CHECK=1
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}"
mkdir -p "$BUILD" "$DIST"
: > "$BUILD/timings.txt"
step_start=0
step() { step_start=$(date +%s.%N); echo "== $1"; step_name="$1"; }
done_step() {
  local took
  took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$step_start" "$(date +%s.%N)")
  echo "   ($took s)"
  echo "$step_name: $took s" >> "$BUILD/timings.txt"
}

VENV="$BUILD/venv"
if [ "$KEEP_VENV" = 1 ] && [ -x "$VENV/bin/python" ]; then
  echo "== reusing $VENV"
else
  step "build venv with the pinned build requirements ($VENV)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q -r "$REQUIREMENTS"
  done_step
fi

step "wheel"
rm -f "$DIST"/bpstudio-*.whl
rm -rf "$ROOT/build"  # setuptools' own scratch folder: never reuse stale files
"$VENV/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w "$DIST" "$ROOT"
rm -rf "$ROOT/build"
WHEEL=$(ls "$DIST"/bpstudio-*.whl)
"$VENV/bin/python" -m pip install -q --no-deps "$WHEEL"
VERSION=$("$VENV/bin/python" -c "import bpstudio; print(bpstudio.__version__)")
echo "   $WHEEL (bpstudio $VERSION)"
done_step

step "icons are up to date with resources/icons/bpstudio.svg"
"$VENV/bin/python" "$PACKAGING/make_icons.py" --check
done_step

step "PyInstaller (one-folder app)"
rm -rf "$DIST/bpstudio" "$BUILD/pyinstaller"
(cd "$ROOT" && "$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$BUILD/pyinstaller" "$PACKAGING/bpstudio.spec")
install -m 644 "$PACKAGING/THIRD-PARTY.md" "$DIST/bpstudio/THIRD-PARTY.md"
# A self-built Python (pyenv, python.org sources) keeps its debug symbols: about 20 MB in libpython
# alone. Strip the interpreter's own files only: NumPy's and Qt's libraries come stripped from their
# wheels, and strip(1) corrupts auditwheel-patched libraries such as NumPy's OpenBLAS.
if command -v strip > /dev/null; then
  find "$DIST/bpstudio/_internal" -maxdepth 1 -name 'libpython3*.so*' -type f -exec strip --strip-unneeded {} +
  find "$DIST/bpstudio/_internal" -path '*/lib-dynload/*.so' -type f -exec strip --strip-unneeded {} +
fi
done_step

step "libraries the app takes from the OS"
python3 "$PACKAGING/linux/bundle_libs.py" "$DIST/bpstudio" --json "$BUILD/system-libs.json"
done_step

step "smoke test of the frozen app (offscreen)"
QT_QPA_PLATFORM=offscreen "$DIST/bpstudio/bpstudio" --smoke-test
done_step

ARCH_DEB=$(dpkg --print-architecture 2>/dev/null || uname -m)
ARCH_UNAME=$(uname -m)
step "tar.gz"
TARDIR="$BUILD/tar/bpstudio-$VERSION"
rm -rf "$BUILD/tar"
mkdir -p "$TARDIR"
cp -a "$DIST/bpstudio/." "$TARDIR/"
python3 "$PACKAGING/linux/stage.py" share "$TARDIR/share"
TARBALL="$DIST/bpstudio-$VERSION-linux-$ARCH_UNAME.tar.gz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -C "$BUILD/tar" -cf - "bpstudio-$VERSION" | gzip -n -6 > "$TARBALL"
echo "   $TARBALL"
done_step

if [ "$MAKE_DEB" = 1 ]; then
  step ".deb"
  python3 "$PACKAGING/linux/stage.py" deb "$DIST/bpstudio" --libs "$BUILD/system-libs.json" \
    --version "$VERSION" --arch "$ARCH_DEB" --out "$DIST"
  done_step
fi

if [ "$MAKE_RPM" = 1 ]; then
  step ".rpm"
  python3 "$PACKAGING/linux/stage.py" rpm "$DIST/bpstudio" --libs "$BUILD/system-libs.json" \
    --version "$VERSION" --arch "$ARCH_UNAME" --out "$DIST" --work "$BUILD/rpm"
  done_step
fi

echo "== done"
du -sh "$DIST/bpstudio"
ls -l "$DIST"
