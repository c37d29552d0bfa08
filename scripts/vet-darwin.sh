#!/usr/bin/env bash
# macOS can only be built on a Mac (the release workflow's macOS job, not run
# yet), so a mistake in Chapel's macOS-only Go code (the *_darwin.go files,
# the darwin cgo directives of the engine and Metal) would first show there.
# This type-checks every package of Chapel, its tests included, for
# darwin/arm64 with go vet: the real Go compiler's checks over exactly the
# files a macOS build compiles. cgo's C declarations are read with the arm64
# cross compiler (scripts/darwin-cc.sh); C, C++ and Objective-C sources are
# not compiled (vet never links), and Wails' own Cocoa window package is
# outside it (it is selected by the desktop tag, and its cgo preamble is
# Objective-C). The release build's tags otherwise (sqlite_fts5; without dev).
# usage: scripts/vet-darwin.sh (CGO_CPPFLAGS from the Makefile)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cc="$root/scripts/darwin-cc.sh"
export GOOS=darwin GOARCH=arm64 CGO_ENABLED=1 CC="$cc" CXX="$cc" CGO_CFLAGS=-O0 CGO_CXXFLAGS=-O0
if go vet -tags sqlite_fts5,webkit2_41 ./...; then
  n=$(go list -tags sqlite_fts5,webkit2_41 -f '{{range .GoFiles}}{{.}} {{end}}{{range .CgoFiles}}{{.}} {{end}}' ./... | tr ' ' '\n' | grep -c '_darwin\.go$' || true)
  echo "PASS: every package type-checks for macOS (darwin/arm64), $n macOS-only files included"
else
  echo "FAIL: the Go code does not compile for macOS (darwin/arm64): see above"
  exit 1
fi
