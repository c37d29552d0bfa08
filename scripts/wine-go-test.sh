#!/usr/bin/env bash
# Runs Go tests built for Windows (go test -c) under Wine in a throwaway
# prefix, and passes only if every test matching PATTERN that ran passed and
# at least one did (a skip does not count as proof).
# usage: scripts/wine-go-test.sh TEST_EXE PATTERN
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exe=$(realpath "$1") pattern=$2
command -v wine >/dev/null || { echo "wine-go-test: wine is missing (Debian package wine; make deps-system)" >&2; exit 1; }
work=$(mktemp -d /tmp/chapel-wine-test.XXXXXX)
trap 'WINEPREFIX="$work/wine" wineserver -k 2>/dev/null || true; rm -rf "$work"' EXIT
# shellcheck source=scripts/wine/prefix.sh
. "$root/scripts/wine/prefix.sh"
wine_prefix "$work/wine"
echo "$(wine --version): $(basename "$exe") -test.run '$pattern'"
rc=0
timeout 900 wine "$exe" -test.count=1 -test.v -test.run "$pattern" >"$work/out.txt" 2>&1 || rc=$?
grep -v '^=== RUN' "$work/out.txt" || true
[ "$rc" = 0 ] && grep -q '^--- PASS: ' "$work/out.txt" || { echo "FAIL: $pattern under Wine (exit status $rc)"; exit 1; }
