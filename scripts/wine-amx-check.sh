#!/usr/bin/env bash
# Runs the llama package's AMX tests, built for Windows at the AMX level
# (make test-windows-amx), under Wine in a throwaway prefix: where the CPU
# has AMX they show that AMX's tile kernels run in a Windows program under
# Wine (the engine asks Linux for the tile data itself) and compute what
# the AVX-512 kernels do.
# usage: scripts/wine-amx-check.sh LLAMA_AMX_TEST_EXE
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exe=$(realpath "$1")
command -v wine >/dev/null || { echo "wine-amx-check: wine is missing (Debian package wine; make deps-system)" >&2; exit 1; }
if ! grep -q amx_int8 /proc/cpuinfo; then
  echo "this CPU has no AMX: the Windows AMX tests were built, not run"
  exit 0
fi
work=$(mktemp -d /tmp/chapel-wine-amx.XXXXXX)
export WINEPREFIX="$work/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
trap 'wineserver -k 2>/dev/null || true; rm -rf "$work"' EXIT
timeout 300 wineboot -i >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log"; exit 1; }
# Go's runtime needs bcryptprimitives.dll's ProcessPrng, which Wine 8.0 lacks
# (the stand-in scripts/test-packages.sh uses too).
x86_64-w64-mingw32-gcc-posix -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  "$root/scripts/wine/bcryptprimitives.c" -ladvapi32
echo "$(wine --version): the AMX engine's tests, built for Windows"
rc=0
timeout 900 wine "$exe" -test.count=1 -test.v -test.run 'TestAMXUnderWine' >"$work/out.txt" 2>&1 || rc=$?
grep -v '^=== RUN' "$work/out.txt" || true
# Without the engine's request for the tile data the process dies at its
# first tile load (EXCEPTION_ILLEGAL_INSTRUCTION) and prints nothing more.
[ "$rc" = 0 ] && grep -q '^--- PASS: TestAMXUnderWine' "$work/out.txt" ||
  { echo "FAIL: AMX under Wine (exit status $rc)"; exit 1; }
echo "PASS: AMX's tile kernels run in the Windows engine under Wine and give the AVX-512 kernels' logits"
