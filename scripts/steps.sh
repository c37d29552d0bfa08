#!/usr/bin/env bash
# `make test`'s steps, one make target at a time, each timed. The times are
# printed at the end, and after a failure too, so that the tail of a CI log
# says where its minutes went (the suite must stay well under 30 minutes on
# 2 cores). An argument NAME=value sets that variable for the steps after it.
set -uo pipefail
make=${MAKE:-make}
began=$(date +%s)
times=()
report() {
  echo "== make test, step by step:"
  for t in "${times[@]}"; do echo "   $t"; done
  echo "   in all $(($(date +%s) - began)) s"
}
for step in "$@"; do
  case $step in
  *=*) export "${step?}"; continue ;;
  esac
  start=$(date +%s)
  if ! $make --no-print-directory "$step"; then
    times+=("$step: FAILED after $(($(date +%s) - start)) s")
    report
    exit 1
  fi
  times+=("$step: $(($(date +%s) - start)) s")
done
report
