#!/usr/bin/env bash
# The C compiler scripts/vet-darwin.sh gives cgo when it type-checks the Go
# code for macOS on Linux. cgo compiles each package's preamble (files it
# writes, named _cgo_* or *.cgo2.c) to learn the C declarations' types: those
# go to the arm64 cross compiler, whose types match macOS on arm64 (LP64),
# without the Apple-only flags. A package's own C, C++, Objective-C and
# assembly sources only matter when linking, which vet never does: each
# becomes an empty object. Nothing built this way can run.
set -euo pipefail
cc=${DARWIN_VET_CC:-aarch64-linux-gnu-gcc}
args=() src= out= skip=0
for a in "$@"; do
  if [ $skip = 1 ]; then skip=0; continue; fi
  case "$a" in
    -arch | -framework) skip=1; continue ;;  # their value follows
    -mmacosx-version-min=* | -mcpu=apple-*) continue ;;
  esac
  args+=("$a")
done
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -o) out=${args[i + 1]:-} ;;
    *.c | *.cc | *.cpp | *.m | *.mm | *.s | *.S) src=${args[i]} ;;
  esac
done
base=${src##*/}
if [ -n "$src" ] && [ -n "$out" ] && [[ $base != _cgo_* && $base != *.cgo2.c ]]; then
  exec "$cc" -x c -c -o "$out" /dev/null
fi
exec "$cc" "${args[@]}"
