#!/usr/bin/env bash
# Builds Chapel.app and a .dmg from a macOS build of chapel (run on a Mac:
# the release workflow's macOS job; it has not been run yet). Signs and
# notarises when the signing identity and the notary credentials are in the
# environment (MACOS_SIGN_IDENTITY; MACOS_NOTARY_APPLE_ID, MACOS_NOTARY_TEAM_ID,
# MACOS_NOTARY_PASSWORD); without them the app is ad-hoc signed, and
# Gatekeeper will ask the user to confirm the first start.
# usage: scripts/package-macos.sh OUTDIR VERSION CHAPEL_BINARY
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$1 version=$2 bin=$3
[ "$(uname -s)" = Darwin ] || { echo "package-macos: this runs on macOS only (iconutil, codesign, hdiutil)" >&2; exit 1; }
short=0.1.0
[[ $version =~ ^v?([0-9]+\.[0-9]+\.[0-9]+) ]] && short=${BASH_REMATCH[1]}
stage="$out/.stage-macos"
rm -rf "$stage"
app="$stage/Chapel.app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp "$bin" "$app/Contents/MacOS/chapel"
# Info.plist: Wails' template fields, filled in here.
sed -e "s|{{.Info.ProductName}}|Chapel|g" -e "s|{{.OutputFilename}}|chapel|g" \
    -e "s|{{.Info.ProductVersion}}|$short|g" -e "s|{{.Info.Copyright}}|Chapel|g" \
    build/darwin/Info.plist >"$app/Contents/Info.plist"
# The icon, at every size macOS asks for.
set_dir="$stage/iconfile.iconset"
mkdir -p "$set_dir"
for s in 16 32 128 256 512; do
  sips -z $s $s build/appicon.png --out "$set_dir/icon_${s}x${s}.png" >/dev/null
  sips -z $((s * 2)) $((s * 2)) build/appicon.png --out "$set_dir/icon_${s}x${s}@2x.png" >/dev/null
done
iconutil -c icns "$set_dir" -o "$app/Contents/Resources/iconfile.icns"
bash scripts/collect-licenses.sh "$app/Contents/Resources/THIRD_PARTY_LICENSES.txt" darwin >/dev/null

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --options runtime --timestamp --sign "$MACOS_SIGN_IDENTITY" "$app"
else
  codesign --force --sign - "$app"   # ad hoc: runs on this Mac, Gatekeeper asks elsewhere
fi
mkdir -p "$out"
dmg="$out/chapel-$version-macos-arm64.dmg"
rm -f "$dmg"
ln -s /Applications "$stage/Applications"
hdiutil create -volname Chapel -srcfolder "$stage" -ov -format UDZO "$dmg" >/dev/null
if [ -n "${MACOS_SIGN_IDENTITY:-}" ] && [ -n "${MACOS_NOTARY_APPLE_ID:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
  xcrun notarytool submit "$dmg" --apple-id "$MACOS_NOTARY_APPLE_ID" --team-id "$MACOS_NOTARY_TEAM_ID" \
    --password "$MACOS_NOTARY_PASSWORD" --wait
  xcrun stapler staple "$dmg"
fi
echo "built $dmg"
rm -rf "$stage"
