#!/usr/bin/env bash
# Does the .deb run on a bare Debian with nothing but its declared dependencies? This makes a minimal
# Debian 12 (debootstrap --variant=minbase: no X, no GL, no fonts) in a folder, lists which libraries
# the app folder cannot find there, installs the .deb with apt (which adds exactly the Depends), and
# runs the smoke test inside it offscreen and on the xcb platform (through an Xvfb started outside,
# whose socket is bound into the chroot). Then it purges the package and checks /opt/bpstudio is gone.
#
#   packaging/linux/check_clean_system.sh packaging/dist/bpstudio_VERSION-1_ARCH.deb [FOLDER]
#
# Needs root, debootstrap and xvfb (apt-get install debootstrap xvfb) and access to a Debian mirror.
# FOLDER (default packaging/build/clean-bookworm) is made anew on each run; about 500 MB.
set -euo pipefail

DEB="${1:?usage: check_clean_system.sh PACKAGE.deb [FOLDER]}"
DEB="$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")"
ROOT_DIR="$(cd "$(dirname "$0")/../.." && pwd)"
C="${2:-$ROOT_DIR/packaging/build/clean-bookworm}"
SUITE="${SUITE:-bookworm}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fail() { echo "check_clean_system: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root"
command -v debootstrap > /dev/null || fail "debootstrap is missing: apt-get install debootstrap"
command -v Xvfb > /dev/null || fail "Xvfb is missing: apt-get install xvfb"

XVFB_PID=""
cleanup() {
  for m in "$C/tmp/.X11-unix" "$C/dev" "$C/proc"; do
    mountpoint -q "$m" 2> /dev/null && umount "$m"
  done
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2> /dev/null || true
}
trap cleanup EXIT

echo "== a minimal $SUITE in $C"
cleanup
if grep -q " $C/" /proc/mounts; then fail "something is still mounted under $C: unmount it first"; fi
rm -rf --one-file-system "$C"
t0=$(date +%s)
debootstrap --variant=minbase "$SUITE" "$C" "$MIRROR" > "$C.debootstrap.log" 2>&1 \
  || { tail -20 "$C.debootstrap.log"; fail "debootstrap failed"; }
echo "   ($(($(date +%s) - t0)) s)"
mount -t proc proc "$C/proc"
mount --bind /dev "$C/dev"
in_chroot() { chroot "$C" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

echo "== libraries the app folder cannot find on the bare system (before installing the .deb)"
mkdir -p "$C/root/unpacked"
dpkg-deb -x "$DEB" "$C/root/unpacked"
in_chroot /bin/sh -c 'cd /root/unpacked/opt/bpstudio && find . -type f -name "*.so*" -o -type f -name bpstudio |
  while read -r f; do LD_LIBRARY_PATH=$PWD/_internal ldd "$f" 2>/dev/null | grep "not found"; done |
  awk "{print \$1}" | sort | uniq -c' | sed 's/^/   /'
rm -rf "$C/root/unpacked"

echo "== install the .deb with apt"
cp "$DEB" "$C/root/"
in_chroot /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  --no-install-recommends /root/$(basename "$DEB")" > "$C.install.log" 2>&1 \
  || { tail -20 "$C.install.log"; fail "apt could not install the .deb"; }
grep -A30 "NEW packages will be installed" "$C.install.log" | sed -n '2,/^[0-9]* upgraded/p' | sed 's/^/   /'

echo "== smoke test, offscreen"
in_chroot /usr/bin/env QT_QPA_PLATFORM=offscreen bpstudio --smoke-test || fail "offscreen smoke test"

echo "== smoke test, xcb (Xvfb outside the chroot)"
display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1600x1000x24 -nolisten tcp > /dev/null 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
mkdir -p "$C/tmp/.X11-unix"
mount --bind /tmp/.X11-unix "$C/tmp/.X11-unix"
in_chroot /usr/bin/env QT_QPA_PLATFORM=xcb DISPLAY=":$display" bpstudio --smoke-test || fail "xcb smoke test"

echo "== purge"
in_chroot /bin/sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q bpstudio' > /dev/null 2>&1
[ -e "$C/opt/bpstudio" ] && fail "/opt/bpstudio is left after purge"
[ -e "$C/usr/bin/bpstudio" ] && fail "/usr/bin/bpstudio is left after purge"
echo "check_clean_system: ok"
