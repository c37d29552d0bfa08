#!/usr/bin/env bash
# Builds the Linux packages from built binaries: a .deb (made by nfpm) and a
# portable .tar.gz. The first binary is the app (the portable baseline); the
# others are its engine variants, named chapel-<suffix> (backend/variant),
# which the app runs as its engine worker when the CPU supports them.
#
# Layout of the .deb: the binaries in /usr/lib/chapel/, /usr/bin/chapel a
# relative symlink to ../lib/chapel/chapel (os.Executable resolves the link,
# so the app finds its variants beside the real file), the .desktop entry,
# hicolor icons at every size (made from build/appicon.png here), AppStream
# metainfo, the manual page, and in /usr/share/doc/chapel a machine-readable
# copyright file, a changelog and the bundled software's licences. It is
# built to pass lintian (scripts/test-packages.sh runs it): what lintian
# would still say, and why it is so, is in build/linux/lintian-overrides.
#
# The package's maintainer is $CHAPEL_MAINTAINER ("Name <address>"), by
# default the project's GitHub no-reply address.
# usage: scripts/package-linux.sh OUTDIR VERSION APP_BINARY [VARIANT_BINARY...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$1 version=$2
shift 2
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR VERSION APP_BINARY [VARIANT_BINARY...]" >&2; exit 2; }
app=$1
[ "$(basename "$app")" = chapel ] || { echo "package-linux: the app binary must be named chapel (got $app)" >&2; exit 2; }
for b in "$@"; do [ -x "$b" ] || { echo "package-linux: $b is missing; build it first" >&2; exit 1; }; done
command -v nfpm >/dev/null || { echo "package-linux: nfpm is missing (make deps-nfpm)" >&2; exit 1; }

# Debian versions start with a digit: a tag v1.2.3 becomes 1.2.3, a commit id 0.1.0~git<id>.
debver=$version
if ! [[ $debver =~ ^v?[0-9]+\.[0-9] ]]; then
  base=$(node -p "require('./wails.json').info.productVersion" 2>/dev/null || echo 0.1.0)
  debver="$base~git${version//-/.}"
fi
debver=${debver#v}
arch=$(go env GOARCH)   # Debian's names for the two we build: amd64, arm64

maintainer=${CHAPEL_MAINTAINER:-Chapel maintainers <chapelapp@users.noreply.github.com>}
# The changelog's date: the commit's, so that the same commit gives the same package.
when=$(git log -1 --format=%cD 2>/dev/null || date -R)

stage="$out/.stage-linux"
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/share/applications" "$stage/share/metainfo" "$stage/share/doc/chapel" \
  "$stage/share/man/man1" "$stage/share/lintian/overrides"
for b in "$@"; do install -m 0755 "$b" "$stage/bin/"; done
install -m 0644 build/linux/chapel.desktop "$stage/share/applications/chapel.desktop"
install -m 0644 build/linux/app.chapel.Chapel.metainfo.xml "$stage/share/metainfo/"
gzip -9n <build/linux/chapel.1 >"$stage/share/man/man1/chapel.1.gz"
install -m 0644 build/linux/lintian-overrides "$stage/share/lintian/overrides/chapel"
sizes="16 22 24 32 48 64 128 256 512"
for s in $sizes; do
  d="$stage/share/icons/hicolor/${s}x${s}/apps"
  mkdir -p "$d"
  convert build/appicon.png -resize "${s}x${s}" -depth 8 -strip "$d/chapel.png"
done
bash scripts/collect-licenses.sh "$stage/share/doc/chapel/THIRD_PARTY_LICENSES.txt" linux >/dev/null
# Debian's machine-readable copyright format (copyright-format/1.0).
cat >"$stage/share/doc/chapel/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Chapel
Upstream-Contact: $maintainer
Source: https://github.com/chapelapp/chapel

Files: *
Copyright: 2026 The Chapel authors
License: LicenseRef-proprietary
 Chapel $version is proprietary software (LicenseRef-proprietary, as its
 AppStream metainfo says); the Chapel authors hold its copyright.
 .
 Every piece of software Chapel bundles is used under its own licence:
 /usr/share/doc/chapel/THIRD_PARTY_LICENSES.txt names each and holds the
 texts (scripts/collect-licenses.sh gathers them when the package is built).
COPYRIGHT
# A native package's changelog: this build's entry.
{
  printf 'chapel (%s) unstable; urgency=medium\n\n' "$debver"
  printf '  * Chapel %s.\n\n' "$version"
  printf ' -- %s  %s\n' "$maintainer" "$when"
} | gzip -9n >"$stage/share/doc/chapel/changelog.gz"

# The nfpm configuration: every staged file, and the runtime libraries (not
# the -dev packages the build needs).
cfg="$stage/nfpm.yaml"
{
  cat <<YAML
name: chapel
arch: $arch
platform: linux
version: "$debver"
version_schema: none
section: utils
priority: optional
maintainer: $maintainer
description: |
  Private AI assistant that runs entirely on your computer
  Chapel chats with open-weight language models (GGUF, llama.cpp) and
  summarises documents with citations, offline: nothing leaves the machine.
homepage: https://github.com/chapelapp/chapel
depends:
  - libwebkit2gtk-4.1-0
  - libgtk-3-0
  - libc6 (>= 2.34)
  - libstdc++6
contents:
YAML
  for b in "$@"; do
    printf '  - src: %s\n    dst: /usr/lib/chapel/%s\n    file_info: {mode: 0755}\n' "$stage/bin/$(basename "$b")" "$(basename "$b")"
  done
  printf '  - src: ../lib/chapel/chapel\n    dst: /usr/bin/chapel\n    type: symlink\n'
  (cd "$stage" && find share -type f | sort) | while read -r f; do
    printf '  - src: %s\n    dst: /usr/%s\n    file_info: {mode: 0644}\n' "$stage/$f" "$f"
  done
} >"$cfg"
mkdir -p "$out"
deb="$out/chapel_${debver}_${arch}.deb"
rm -f "$deb"
nfpm package --config "$cfg" --packager deb --target "$deb" >/dev/null
echo "built $deb ($(du -h "$deb" | cut -f1))"

# The portable archive: the same files under one folder, runnable in place.
name="chapel-$version-linux-$arch"
tree="$stage/$name"
mkdir -p "$tree"
cp -a "$stage/bin/." "$tree/"
cp -a "$stage/share" "$tree/share"
rm -rf "$tree/share/lintian"   # the .deb's, for Debian's checker
cp "$stage/share/doc/chapel/THIRD_PARTY_LICENSES.txt" "$tree/"
cat >"$tree/README.txt" <<TXT
Chapel $version for Linux ($arch), portable.

Run ./chapel in this folder (it needs the WebKitGTK 4.1 and GTK 3 runtime:
on Debian and Ubuntu, sudo apt install libwebkit2gtk-4.1-0 libgtk-3-0).
Keep the chapel-* files beside it: they are its engine builds for newer CPUs.
Its manual: man ./share/man/man1/chapel.1.gz

To add it to the application menu for your user:
  mkdir -p ~/.local/share/applications ~/.local/share/icons
  cp -r share/icons/hicolor ~/.local/share/icons/
  sed "s|^Exec=chapel|Exec=\$PWD/chapel|" share/applications/chapel.desktop > ~/.local/share/applications/chapel.desktop
TXT
tgz="$out/$name.tar.gz"
tar -C "$stage" -czf "$tgz" --owner=0 --group=0 "$name"
echo "built $tgz ($(du -h "$tgz" | cut -f1))"
rm -rf "$stage"
