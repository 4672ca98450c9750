#!/usr/bin/env bash
# Install the .deb on this machine, smoke-test the installed launcher on a virtual X server, remove the
# package and check that nothing of it is left. Run as root on Debian 12+ or Ubuntu 23.04+, with apt's
# package lists up to date (apt-get update) and Xvfb installed (apt-get install xvfb xauth):
#
#   packaging/linux/check_deb.sh packaging/dist/bpstudio_VERSION-1_ARCH.deb
#
# Exits non-zero at the first problem. CI (.ci/run) runs it on every build.
set -euo pipefail

DEB="${1:?usage: check_deb.sh PACKAGE.deb}"
DEB="$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")"
fail() { echo "check_deb: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (it installs and removes a package)"
command -v xvfb-run > /dev/null || fail "xvfb-run is missing: apt-get install xvfb xauth"
if dpkg-query -W -f='${Status}' bpstudio 2> /dev/null | grep -q "installed"; then
  fail "bpstudio is already installed here; remove it first (apt-get purge bpstudio)"
fi

echo "== the package"
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p'
LISTING="$(mktemp)"
INSTALLED=0
cleanup() {
  rm -f "$LISTING"
  # after a failed check, do not leave the package installed on the machine
  if [ "$INSTALLED" = 1 ] && dpkg-query -W -f='${Status}' bpstudio 2> /dev/null | grep -q "installed"; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q bpstudio > /dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
# regular files and links the package ships, as absolute paths
dpkg-deb --contents "$DEB" | awk '$1 !~ /^d/ {print $6}' | sed 's#^\./#/#' > "$LISTING"
echo "   $(wc -l < "$LISTING") files"

echo "== install with apt (pulls in the Depends)"
INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB" > /dev/null
# as a user's login shell finds it (a Python environment of the build machine may shadow it on PATH)
SYSTEM_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
[ "$(env PATH="$SYSTEM_PATH" sh -c 'command -v bpstudio')" = /usr/bin/bpstudio ] \
  || fail "bpstudio is not on the system PATH as /usr/bin/bpstudio"
[ -x /opt/bpstudio/bpstudio ] || fail "/opt/bpstudio/bpstudio is missing"
for f in /usr/share/applications/bpstudio.desktop /usr/share/icons/hicolor/scalable/apps/bpstudio.svg \
  /usr/share/icons/hicolor/48x48/apps/bpstudio.png /usr/share/mime/packages/bpstudio.xml \
  /usr/share/metainfo/io.github.bpstudio.BackpropStudio.metainfo.xml; do
  [ -f "$f" ] || fail "$f was not installed"
done
if command -v desktop-file-validate > /dev/null; then
  desktop-file-validate /usr/share/applications/bpstudio.desktop || fail "the installed .desktop file is invalid"
fi
echo "   installed: $(du -sh /opt/bpstudio | cut -f1) in /opt/bpstudio"
/usr/bin/bpstudio --version

echo "== smoke test of the installed launcher on Xvfb (the xcb platform, as on a lab desktop)"
SMOKE_HOME="$(mktemp -d)"
HOME="$SMOKE_HOME" xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" \
  env QT_QPA_PLATFORM=xcb /usr/bin/bpstudio --smoke-test || fail "the installed app's smoke test failed"
rm -rf "$SMOKE_HOME"

echo "== upgrade in place: a newer version over this one keeps the user's and the lab's settings"
UPGRADE_DIR="$(mktemp -d)"
USER_HOME="$UPGRADE_DIR/home"
mkdir -p "$USER_HOME/.config/bpstudio"
printf '[prefs]\ntheme=dark\ntext_size=1.5\n\n[view]\npreset=nielsen\n' > "$USER_HOME/.config/bpstudio/bpstudio.ini"
LAB_FILE=/etc/xdg/bpstudio/bpstudio.ini
LAB_MADE=0
if [ ! -e "$LAB_FILE" ]; then
  mkdir -p "$(dirname "$LAB_FILE")"
  printf '[view]\nnotation=error_signal\n' > "$LAB_FILE"
  LAB_MADE=1
fi
before="$(sha256sum "$USER_HOME/.config/bpstudio/bpstudio.ini" "$LAB_FILE")"
dpkg-deb -R "$DEB" "$UPGRADE_DIR/pkg"
OLD_VERSION="$(sed -n 's/^Version: //p' "$UPGRADE_DIR/pkg/DEBIAN/control")"
sed -i "s/^Version: .*/Version: $OLD_VERSION+upgrade1/" "$UPGRADE_DIR/pkg/DEBIAN/control"
dpkg-deb -b --root-owner-group "$UPGRADE_DIR/pkg" "$UPGRADE_DIR/upgrade.deb" > /dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$UPGRADE_DIR/upgrade.deb" \
  > "$UPGRADE_DIR/apt.log" 2>&1 || { tail -20 "$UPGRADE_DIR/apt.log"; fail "the upgrade did not install"; }
[ "$(dpkg-query -W -f='${Version}' bpstudio)" = "$OLD_VERSION+upgrade1" ] || fail "the upgrade did not replace $OLD_VERSION"
[ "$before" = "$(sha256sum "$USER_HOME/.config/bpstudio/bpstudio.ini" "$LAB_FILE")" ] \
  || fail "the upgrade changed the user's or the lab's settings"
HOME="$USER_HOME" xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" \
  env QT_QPA_PLATFORM=xcb /usr/bin/bpstudio --smoke-test > /dev/null || fail "the upgraded app's smoke test failed"
echo "   $OLD_VERSION → $OLD_VERSION+upgrade1: ~/.config/bpstudio/bpstudio.ini and $LAB_FILE unchanged"
[ "$LAB_MADE" = 1 ] && rm -rf "$(dirname "$LAB_FILE")"
rm -rf "$UPGRADE_DIR"

echo "== remove (purge) and look for leftovers"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q bpstudio > /dev/null
if dpkg-query -W -f='${Status}' bpstudio 2> /dev/null | grep -q "installed"; then
  fail "dpkg still lists bpstudio after purge"
fi
left=0
while read -r f; do
  if [ -e "$f" ] || [ -L "$f" ]; then
    echo "   left behind: $f" >&2
    left=$((left + 1))
  fi
done < "$LISTING"
[ -e /opt/bpstudio ] && { echo "   left behind: /opt/bpstudio" >&2; left=$((left + 1)); }
[ "$left" = 0 ] || fail "$left paths were left behind after purge"
echo "   nothing left behind ($(wc -l < "$LISTING") files and /opt/bpstudio are gone)"
echo "check_deb: ok"
