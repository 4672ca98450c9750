#!/usr/bin/env bash
# Build the Linux packages on Debian 11 (bullseye, glibc 2.31), so that they run on every distribution
# with glibc 2.31 or newer: Debian 11, 12 and 13, Ubuntu 20.04, 22.04 and 24.04 (a program built
# against a glibc runs on that glibc and newer ones, never on older ones).
#
#   packaging/linux/build_bullseye.sh [--rpm] [FOLDER]
#
# 1. Makes a minimal Debian 11 in FOLDER (default packaging/build/bullseye) with debootstrap and
#    installs what building Python and the packages needs (a C compiler, the headers Python's
#    modules link to, the X11/xcb libraries Qt's plug-in takes from the system, dpkg-dev, rpm).
# 2. Builds CPython from Debian's own source package (python3.13 of Debian 13, fetched with
#    `apt-get source`, its signature checked by apt) into /opt/python inside it: Debian 11 has only
#    Python 3.9, and the frozen app's interpreter must be built against the oldest glibc it supports.
# 3. Runs packaging/linux/build.sh there with that Python and packaging/linux/requirements-glibc228.txt
#    (Qt for Python 6.9.3, whose wheels need glibc 2.28; 6.10's need 2.34), and copies the app
#    folder, .tar.gz, .deb (and .rpm) to packaging/dist.
#
# Needs root, debootstrap and access to a Debian mirror and to PyPI. About 2 GB in FOLDER; a run
# takes about 15 minutes on 2 cores (most of it compiling Python; a second run reuses the Debian
# system and the compiled Python when FOLDER is kept: --keep).
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "$0")/../.." && pwd)"
RPM=""
KEEP=0
C=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rpm) RPM="--rpm" ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) C="$1" ;;
  esac
  shift
done
C="${C:-$ROOT_DIR/packaging/build/bullseye}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
PY_SOURCE_SUITE="${PY_SOURCE_SUITE:-trixie}"
PY_PACKAGE="${PY_PACKAGE:-python3.13}"
fail() { echo "build_bullseye: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root"
command -v debootstrap > /dev/null || fail "debootstrap is missing: apt-get install debootstrap"
t0=$(date +%s)
took() { echo "   ($(($(date +%s) - t0)) s)"; t0=$(date +%s); }

cleanup() {
  for m in "$C/root/src" "$C/dev" "$C/proc"; do
    mountpoint -q "$m" 2> /dev/null && umount "$m"
  done
  return 0
}
trap cleanup EXIT
cleanup
in_chroot() {
  chroot "$C" /usr/bin/env -i PATH=/opt/python/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 PIP_CERT=/root/host-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=180 "$@"
}

build_python() {
  echo "== Python's source: $PY_PACKAGE of Debian $PY_SOURCE_SUITE (apt-get source, signature checked)"
  SRC_APT="$(mktemp -d)"
  mkdir -p "$SRC_APT/parts" "$SRC_APT/lists" "$SRC_APT/cache"
  cat > "$SRC_APT/parts/src.sources" << EOF
Types: deb-src
URIs: $MIRROR
Suites: $PY_SOURCE_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  APT_OPTS=(-o APT::Sandbox::User=root -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$SRC_APT/parts"
    -o "Dir::State::Lists=$SRC_APT/lists" -o "Dir::Cache=$SRC_APT/cache")
  apt-get "${APT_OPTS[@]}" update -qq > /dev/null
  mkdir -p "$C/root/python-src"
  (cd "$C/root/python-src" && apt-get "${APT_OPTS[@]}" source --download-only -qq "$PY_PACKAGE" \
    > /dev/null 2>&1) || fail "apt-get source $PY_PACKAGE"
  rm -rf "$SRC_APT"
  ls "$C/root/python-src" | sed 's/^/   /'

  echo "== compile Python into /opt/python (inside Debian 11)"
  in_chroot /bin/sh -c 'set -e; cd /root/python-src; rm -rf Python-*/;
    tar xf "$(ls *.orig.tar.* | grep -v "\.asc$")"; cd Python-*/;
    ./configure -q --prefix=/opt/python --enable-shared --with-ensurepip=install \
      LDFLAGS="-Wl,-rpath,/opt/python/lib" > /root/python-configure.log 2>&1;
    make -s -j"$(nproc)" > /root/python-make.log 2>&1; make -s install > /root/python-install.log 2>&1;
    ln -sf python3 /opt/python/bin/python' || { tail -30 "$C"/root/python-*.log; fail "building Python"; }
  in_chroot /opt/python/bin/python3 -c "import ssl, ctypes, lzma, bz2, sqlite3, zlib, sys; print('  ', sys.version)"
  took
}

if [ "$KEEP" = 1 ] && [ -x "$C/opt/python/bin/python3" ]; then
  echo "== reusing the Debian 11 system and Python in $C"
  mount -t proc proc "$C/proc"
  mount --bind /dev "$C/dev"
elif [ "$KEEP" = 1 ] && [ -f "$C/root/.build-tools-installed" ]; then
  echo "== reusing the Debian 11 system in $C"
  mount -t proc proc "$C/proc"
  mount --bind /dev "$C/dev"
  build_python
else
  echo "== a minimal Debian 11 (bullseye) in $C"
  if grep -q " $C/" /proc/mounts; then fail "something is still mounted under $C: unmount it first"; fi
  rm -rf --one-file-system "$C"
  mkdir -p "$(dirname "$C")"
  debootstrap --variant=minbase bullseye "$C" "$MIRROR" > "$C.debootstrap.log" 2>&1 \
    || { tail -20 "$C.debootstrap.log"; fail "debootstrap failed"; }
  took
  mount -t proc proc "$C/proc"
  mount --bind /dev "$C/dev"
  cp /etc/resolv.conf "$C/etc/resolv.conf"

  echo "== build tools and libraries inside"
  in_chroot /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends build-essential pkg-config binutils dpkg-dev rpm xz-utils ca-certificates \
    zlib1g-dev libssl-dev libffi-dev libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev uuid-dev \
    libncursesw5-dev libgdbm-dev libexpat1-dev \
    libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
    libxcb-randr0 libxcb-shape0 libxcb-xkb1 libegl1 libgl1 libwayland-cursor0 libwayland-egl1 \
    libfontconfig1 libdbus-1-3" > "$C.apt.log" 2>&1 || { tail -20 "$C.apt.log"; fail "apt-get install"; }
  took

  # the certificate authorities this machine trusts (a proxy's among them), for pip inside
  cp /etc/ssl/certs/ca-certificates.crt "$C/root/host-ca.crt"
  touch "$C/root/.build-tools-installed"
  build_python
fi

echo "== build the packages inside (packaging/linux/build.sh, glibc 2.28 wheels)"
mkdir -p "$C/root/src"
rm -rf --one-file-system "${C:?}/root/src/"* 2> /dev/null || true
# the checked-in files only (a clean tree, as on a fresh clone)
(cd "$ROOT_DIR" && git ls-files -z | tar --null -T - -cf -) | tar -C "$C/root/src" -xf -
cp -a "$ROOT_DIR/.git" "$C/root/src/.git" 2> /dev/null || true
in_chroot /bin/sh -c "cd /root/src && SOURCE_DATE_EPOCH=$(git -C "$ROOT_DIR" log -1 --format=%ct) \
  bash packaging/linux/build.sh $RPM --python /opt/python/bin/python3 \
  --requirements packaging/linux/requirements-glibc228.txt" || fail "build.sh inside Debian 11"
took

echo "== the packages: their highest glibc symbol version"
mkdir -p "$ROOT_DIR/packaging/dist"
rm -rf "$ROOT_DIR/packaging/dist/bpstudio"
cp -a "$C/root/src/packaging/dist/." "$ROOT_DIR/packaging/dist/"
cp "$C/root/src/packaging/build/system-libs.json" "$ROOT_DIR/packaging/dist/system-libs.json" 2> /dev/null || true
python3 "$ROOT_DIR/packaging/linux/glibc_needed.py" "$ROOT_DIR/packaging/dist/bpstudio" --max 2.31
echo "build_bullseye: ok"
