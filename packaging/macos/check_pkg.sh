#!/usr/bin/env bash
# Install the .pkg with macOS Installer, smoke-test the installed app, remove it again the way
# docs/installing.md tells lab staff to, and check nothing is left. Needs sudo. Used by CI.
#
#   packaging/macos/check_pkg.sh packaging/dist/bpstudio-VERSION-macos-ARCH.pkg
set -euo pipefail
PKG="${1:?usage: check_pkg.sh PACKAGE.pkg}"
APP="/Applications/Backprop Studio.app"
BUNDLE_ID="io.github.bpstudio.BackpropStudio"
fail() { echo "check_pkg: FAIL: $*" >&2; exit 1; }
[ -e "$APP" ] && fail "$APP already exists; remove it first"

echo "== the package"
pkgutil --payload-files "$PKG" | head -5
pkgutil --check-signature "$PKG" || true  # unsigned builds say so; signed ones show the chain

echo "== install"
sudo installer -pkg "$PKG" -target /
[ -x "$APP/Contents/MacOS/bpstudio" ] || fail "the app is not in /Applications"
pkgutil --pkg-info "$BUNDLE_ID" || fail "the receipt $BUNDLE_ID is not registered"
/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$APP/Contents/Info.plist"

echo "== smoke test of the installed app (offscreen)"
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/bpstudio" --smoke-test || fail "smoke test"

echo "== remove"
sudo rm -rf "$APP"
sudo pkgutil --forget "$BUNDLE_ID"
[ -e "$APP" ] && fail "$APP is still there"
pkgutil --pkg-info "$BUNDLE_ID" > /dev/null 2>&1 && fail "the receipt is still registered"
echo "check_pkg: ok"
