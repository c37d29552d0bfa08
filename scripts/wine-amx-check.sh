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
bash "$root/scripts/wine-go-test.sh" "$exe" 'TestAMXUnderWine'
echo "PASS: AMX's tile kernels run in the Windows engine under Wine and give the AVX-512 kernels' logits"
