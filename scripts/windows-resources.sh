#!/usr/bin/env bash
# Compiles chapel.exe's Windows resources (icon, manifest, version block:
# build/windows/chapel.rc) into a .syso object that `go build` links into a
# windows/amd64 binary. The icon is made from build/appicon.png here.
# usage: scripts/windows-resources.sh VERSION OUT.syso
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$1 out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Resource versions are four numbers: 1.2.3 → 1,2,3,0; a commit id → 0,1,0,0.
num=0,1,0,0
if [[ $version =~ ^v?([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
  num="${BASH_REMATCH[1]},${BASH_REMATCH[2]},${BASH_REMATCH[3]},0"
fi
convert "$root/build/appicon.png" -define icon:auto-resize=256,128,64,48,32,24,16 "$work/chapel.ico"
cp "$root/build/windows/chapel.rc" "$root/build/windows/chapel.exe.manifest" "$work/"
(cd "$work" && x86_64-w64-mingw32-windres -DCHAPEL_VERSION_NUM="$num" -DCHAPEL_VERSION="\\\"$version\\\"" \
  -O coff -i chapel.rc -o chapel.syso)
cp "$work/chapel.syso" "$out"
