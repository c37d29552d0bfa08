#!/usr/bin/env bash
# The engine on arm64 Linux: backend/engine's tests cross-compiled with
# aarch64-linux-gnu-gcc at each arm64 CPU level a release builds (plain
# ARMv8.0, dot products, int8 matrix multiply), then run under qemu-aarch64
# emulating a CPU with every feature: a tiny generated model is loaded and
# generates, Q4_0/Q8_0 weights go through the NEON/dotprod/i8mm kernels.
# usage: scripts/arm64-check.sh FLAGS... (one argument per level; the first is
# the baseline). ARM64_LEVELS=N limits the run to the first N levels.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$root/build/arm64"
mkdir -p "$out"
levels=("$@")
n=${ARM64_LEVELS:-${#levels[@]}}
passed=0 failed=0
for flags in "${levels[@]:0:$n}"; do
  name=$(sed 's/-march=//; s/[^a-z0-9.]\+/-/g' <<<"$flags")
  bin="$out/engine-$name.test"
  echo "== arm64 $flags: compiling the engine (llama.cpp at this level; minutes the first time)"
  if ! GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
       CGO_CFLAGS="-O3 $flags" CGO_CXXFLAGS="-O3 $flags" \
       go test -c -tags sqlite_fts5 -o "$bin" ./backend/engine/ 2>"$out/build-$name.log"; then
    echo "FAIL: arm64 $flags: the engine does not build"; tail -20 "$out/build-$name.log"
    failed=$((failed + 1)); continue
  fi
  file "$bin" | grep -q "ARM aarch64" || { echo "FAIL: $bin is not an arm64 binary"; failed=$((failed + 1)); continue; }
  if timeout 600 qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu max "$bin" -test.count=1 -test.v \
       -test.run 'TestTinyModelGenerates|TestSeededSamplingIsRepeatable|TestQuantizedKeys|TestCountTokens' >"$out/run-$name.log" 2>&1; then
    if grep -q -- '--- PASS: TestTinyModelGenerates' "$out/run-$name.log"; then
      echo "PASS: arm64 $flags: the engine builds and generates under qemu-aarch64 ($(grep -c -- '^--- PASS' "$out/run-$name.log") tests passed)"
      passed=$((passed + 1))
    else
      echo "FAIL: arm64 $flags: the generation test did not run:"; tail -20 "$out/run-$name.log"
      failed=$((failed + 1))
    fi
  else
    echo "FAIL: arm64 $flags under qemu-aarch64:"; tail -30 "$out/run-$name.log"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
