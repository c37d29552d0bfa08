#!/usr/bin/env bash
# Proves a release build runs on any x86-64 CPU with AVX2 (x86-64-v3): the
# portable binary generates text under qemu emulating a Haswell CPU (AVX2,
# no AVX-512), while the -march=native binary, built on an AVX-512 machine,
# dies there with an illegal instruction (the control: the emulation really
# refuses what Haswell lacks).
# usage: scripts/release-check.sh PORTABLE_BINARY NATIVE_BINARY
set -euo pipefail
portable=$1 native=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$portable" synth-model --shape tiny "$work/tiny.gguf"
models=("$work/tiny.gguf")
[ -f "$(dirname "$0")/../../shared/models/stories260K.gguf" ] && models+=("$(cd "$(dirname "$0")/../../shared/models" && pwd)/stories260K.gguf")
passed=0 failed=0
# `chapel bench` runs the engine in its own process (chat would start the
# engine worker with a plain exec, outside the emulator).
for m in "${models[@]}"; do
  if out=$(qemu-x86_64 -cpu Haswell "$portable" bench --home "$work/home" --model "$m" --threads 2 --pp 32 --tg 16 --reps 1 --json 2>"$work/err") &&
     grep -q '"tg_tps":[1-9]' <<<"$out"; then
    echo "PASS: portable build generates under qemu -cpu Haswell ($(basename "$m")): $(grep -o '"tg_tps":[0-9.]*' <<<"$out") (emulated)"
    passed=$((passed + 1))
  else
    echo "FAIL: portable build under qemu -cpu Haswell ($(basename "$m")):"; cat "$work/err"
    failed=$((failed + 1))
  fi
done
if [ -n "$native" ] && grep -q avx512f /proc/cpuinfo; then
  set +e
  qemu-x86_64 -cpu Haswell "$native" bench --home "$work/home2" --model "$work/tiny.gguf" --pp 8 --tg 4 --reps 1 >/dev/null 2>"$work/err2"
  rc=$?
  set -e
  # qemu-user dies of the guest's signal: an illegal instruction is exit
  # 128+4 and its own line "uncaught target signal 4 (Illegal instruction)".
  # Any other failure (a crash, a refused option, a missing file) proves
  # nothing about the emulated CPU.
  if [ "$rc" -eq 132 ] && grep -q "target signal 4 (Illegal instruction)" "$work/err2"; then
    echo "PASS: control: the -march=native (AVX-512) build dies under qemu -cpu Haswell (SIGILL)"
    passed=$((passed + 1))
  elif [ "$rc" -ne 0 ]; then
    echo "FAIL: control: the -march=native build failed under qemu -cpu Haswell, but not of an illegal instruction (exit $rc):"
    grep -v "TCG doesn't support" "$work/err2" | tail -5
    failed=$((failed + 1))
  else
    echo "FAIL: control: the -march=native build ran under qemu -cpu Haswell, so the emulation proves nothing"
    failed=$((failed + 1))
  fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
