#!/usr/bin/env bash
# End-to-end tests: the real app in a real window (Xvfb screenshot), and the
# real UI with its Go bindings in a real browser (playwright-core + Debian
# chromium). Run by `make test`; needs build/bin/chapel and build/bin/chapel-dev.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="${E2E_OUT:-$root/build/e2e}"   # E2E_OUT: a folder of its own, for runs side by side
rm -rf "$out"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# A display of our own, so a desktop session or another test run is untouched:
# Xvfb picks a free display number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$out/display" >"$out/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$out/display" ] && break; sleep 0.1; done
display=":$(head -n1 "$out/display")"
[ "$display" != ":" ] || { echo "Xvfb did not start:"; cat "$out/xvfb.log"; exit 1; }
export DISPLAY="$display"

# A model for the tests: the real TinyStories model from ../shared when it is
# there, else a random-weight model Chapel writes itself.
model="$root/../shared/models/stories260K.gguf"
if [ ! -f "$model" ]; then
  echo "e2e: ../shared/models/stories260K.gguf is absent; using a generated random-weight model"
  model="$out/tiny-test-model.gguf"
  build/bin/chapel synth-model --shape tiny "$model"
fi
export CHAPEL_E2E_MODEL="$model"

failures=0
run() {
  local name=$1; shift
  if "$@"; then echo "PASS: $name"; passed=$((passed + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); fi
}
passed=0

# --- the real window ---------------------------------------------------------
window_test() {
  local home="$out/window-home" log="$out/window.log" shot="$out/window.png"
  mkdir -p "$home"
  CHAPEL_HOME="$home" build/bin/chapel >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  local id=""
  for _ in $(seq 100); do
    # The main window: titled Chapel and of a real size (GTK also makes
    # small helper windows of the same class).
    id=$(xwininfo -root -tree 2>/dev/null | awk '$2 == "\"Chapel\":" && match($0, /[0-9]+x[0-9]+\+/) { split(substr($0, RSTART, RLENGTH), a, "x"); if (a[1] + 0 >= 400) { print $1; exit } }')
    [ -n "$id" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "the app exited early:"; cat "$log"; return 1; }
    sleep 0.2
  done
  [ -n "$id" ] || { echo "no window titled Chapel appeared"; cat "$log"; return 1; }
  # Give WebKit time to load and paint the page.
  local ok=1
  for _ in $(seq 30); do
    sleep 1
    timeout 10 import -window "$id" "$shot" 2>/dev/null || continue
    if node scripts/check-window.mjs "$shot" >"$out/window-check.txt" 2>&1; then ok=0; break; fi
  done
  cat "$out/window-check.txt"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "screenshot: $shot"
  return $ok
}

# --- the real browser ----------------------------------------------------------
browser_test() {
  node frontend/e2e/run.mjs --out "$out"
}

run "app window renders the Chapel UI (Xvfb screenshot)" window_test
run "browser: pick model, stream, stop; drop a PDF, summary with citations, passage, ask; restart, all kept" browser_test

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
