#!/usr/bin/env bash
# Builds the Windows packages from a cross-compiled chapel.exe (and its
# engine variants, chapel-<suffix>.exe): an NSIS installer (per-user, no
# administrator rights, Start menu entry, uninstaller; build/windows/
# installer.nsi) and a portable .zip.
# usage: [NSIS_FAST=1] scripts/package-windows.sh OUTDIR VERSION CHAPEL_EXE [VARIANT_EXE...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$1 version=$2
shift 2
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR VERSION CHAPEL_EXE [VARIANT_EXE...]" >&2; exit 2; }
[ "$(basename "$1")" = chapel.exe ] || { echo "package-windows: the app must be named chapel.exe (got $1)" >&2; exit 2; }
for b in "$@"; do [ -f "$b" ] || { echo "package-windows: $b is missing; build it first (make build-windows)" >&2; exit 1; }; done
command -v makensis >/dev/null || { echo "package-windows: makensis is missing (Debian package nsis; make deps-system)" >&2; exit 1; }

num=0.1.0.0
if [[ $version =~ ^v?([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
  num="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}.0"
fi
name="chapel-$version-windows-amd64"
stage="$out/.stage-windows"
rm -rf "$stage"
mkdir -p "$stage/$name" "$out"
app="$stage/$name"
for b in "$@"; do cp "$b" "$app/"; done
convert build/appicon.png -define icon:auto-resize=256,128,64,48,32,24,16 "$app/chapel.ico"
bash scripts/collect-licenses.sh "$app/THIRD_PARTY_LICENSES.txt" windows >/dev/null
cat >"$app/README.txt" <<TXT
Chapel $version for Windows (x86-64)

Chapel is a private assistant that runs entirely on this computer.

It needs the Microsoft Edge WebView2 Runtime for its window. Windows 11 and
up-to-date Windows 10 have it; otherwise install the Evergreen WebView2
Runtime from Microsoft.

Keep the chapel-*.exe files beside chapel.exe: they are its engine builds for
newer CPUs, which it picks from at start.

Your conversations and documents are kept in %AppData%\\Chapel, models in
%LocalAppData%\\Chapel\\models. Neither is removed when Chapel is.

The command line: chapel.exe help
TXT
sed -i 's/$/\r/' "$app/README.txt"

setup="$out/$name-setup.exe"
fast=(); [ -n "${NSIS_FAST:-}" ] && fast=(-DFAST)   # NSIS_FAST=1: zlib instead of solid LZMA (tests)
makensis -V2 "${fast[@]}" -DVERSION="$version" -DVERSION_NUM="$num" -DSRCDIR="$(realpath "$app")" \
  -DOUTFILE="$(realpath "$out")/$name-setup.exe" build/windows/installer.nsi
echo "built $setup ($(du -h "$setup" | cut -f1))"

zip="$out/$name.zip"
rm -f "$zip"
(cd "$stage" && zip -qr9 "$(realpath "$root/$out" 2>/dev/null || realpath "$out")/$name.zip" "$name")
echo "built $zip ($(du -h "$zip" | cut -f1))"
rm -rf "$stage"
