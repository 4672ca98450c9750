#!/usr/bin/env bash
# Build Backprop Studio for macOS 13+: "Backprop Studio.app", a .zip of it and an installer .pkg.
#
#   packaging/macos/build.sh [--python PYTHON]
#
# Needs: macOS with the Xcode command line tools (pkgbuild, productbuild, codesign), Python 3.11+
# (python.org universal2 or Homebrew; the app is built for the Mac's own architecture), network access
# to PyPI. Everything is built from scratch in packaging/build; results land in packaging/dist:
#   Backprop Studio.app                         the app
#   bpstudio-VERSION-macos-ARCH.zip             the app, zipped with ditto (keeps signatures)
#   bpstudio-VERSION-macos-ARCH.pkg             installs the app into /Applications (for MDM/Jamf/Munki)
#
# Signing and notarisation (optional; without them the app is ad-hoc signed and Gatekeeper will ask the
# user to approve it, see docs/installing.md). Set before running:
#   BPSTUDIO_CODESIGN_IDENTITY="Developer ID Application: Your University (TEAMID)"
#   BPSTUDIO_INSTALLER_IDENTITY="Developer ID Installer: Your University (TEAMID)"
#   BPSTUDIO_NOTARY_PROFILE=bpstudio   # made once with: xcrun notarytool store-credentials bpstudio \
#                                      #   --apple-id you@example.edu --team-id TEAMID --password APP-PASSWORD
# With all three set, the .pkg is signed, submitted to Apple's notary service, and stapled.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PACKAGING="$ROOT/packaging"
BUILD="$PACKAGING/build"
DIST="$PACKAGING/dist"
PYTHON="${PYTHON:-python3}"
BUNDLE_ID="io.github.bpstudio.BackpropStudio"
APP_NAME="Backprop Studio"
while [ $# -gt 0 ]; do
  case "$1" in
    --python) PYTHON="$2"; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$(uname -s)" = Darwin ] || { echo "build.sh: this script runs on macOS" >&2; exit 2; }
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$BUILD" "$DIST"
step() { echo "== $1"; }

VENV="$BUILD/venv"
step "build venv with the pinned build requirements"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q -r "$PACKAGING/requirements-build.txt"

step "wheel"
rm -f "$DIST"/bpstudio-*.whl
rm -rf "$ROOT/build"
"$VENV/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w "$DIST" "$ROOT"
rm -rf "$ROOT/build"
"$VENV/bin/python" -m pip install -q --no-deps "$DIST"/bpstudio-*.whl
VERSION=$("$VENV/bin/python" -c "import bpstudio; print(bpstudio.__version__)")
ARCH=$(uname -m)
echo "   bpstudio $VERSION for $ARCH"

step "icons are up to date"
QT_QPA_PLATFORM=offscreen "$VENV/bin/python" "$PACKAGING/make_icons.py" --check

step "PyInstaller (.app)"
rm -rf "$DIST/bpstudio" "$DIST/$APP_NAME.app"
(cd "$ROOT" && "$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$BUILD/pyinstaller" "$PACKAGING/bpstudio.spec")
APP="$DIST/$APP_NAME.app"
rm -rf "$DIST/bpstudio"  # the intermediate one-folder build; the .app holds the same files
codesign --verify --deep --strict "$APP"
echo "   signature: $(codesign -dv "$APP" 2>&1 | grep -E '^(Authority|Signature)=' | head -1)"

step "smoke test of the frozen app (offscreen)"
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/bpstudio" --smoke-test

step "zip"
ZIP="$DIST/bpstudio-$VERSION-macos-$ARCH.zip"
rm -f "$ZIP"
ditto -c -k --sequesterRsrc --keepParent "$APP" "$ZIP"
echo "   $ZIP"

step "installer package (.pkg into /Applications)"
PKGROOT="$BUILD/pkgroot"
rm -rf "$PKGROOT"
mkdir -p "$PKGROOT/Applications"
ditto "$APP" "$PKGROOT/Applications/$APP_NAME.app"
# not relocatable: macOS Installer must not "update" some other copy of the app found elsewhere
pkgbuild --analyze --root "$PKGROOT" "$BUILD/components.plist"
plutil -replace 0.BundleIsRelocatable -bool NO "$BUILD/components.plist"
sign_pkg=()
[ -n "${BPSTUDIO_INSTALLER_IDENTITY:-}" ] && sign_pkg=(--sign "$BPSTUDIO_INSTALLER_IDENTITY")
pkgbuild --root "$PKGROOT" --component-plist "$BUILD/components.plist" --identifier "$BUNDLE_ID" \
  --version "$VERSION" --install-location / "$BUILD/component.pkg"
PKG="$DIST/bpstudio-$VERSION-macos-$ARCH.pkg"
productbuild --identifier "$BUNDLE_ID.pkg" --version "$VERSION" --package "$BUILD/component.pkg" \
  ${sign_pkg[@]+"${sign_pkg[@]}"} "$PKG"
echo "   $PKG"

if [ -n "${BPSTUDIO_INSTALLER_IDENTITY:-}" ] && [ -n "${BPSTUDIO_NOTARY_PROFILE:-}" ]; then
  step "notarise and staple"
  xcrun notarytool submit "$PKG" --keychain-profile "$BPSTUDIO_NOTARY_PROFILE" --wait
  xcrun stapler staple "$PKG"
  xcrun stapler validate "$PKG"
  spctl --assess --type install --verbose "$PKG"
fi

step "done"
ls -l "$DIST"
