#!/usr/bin/env bash
# End-to-end tests: the real app in a real window (Xvfb screenshot), and the
# real UI with its Go bindings in a real browser (playwright-core + Debian
# chromium). Run by `make test`; needs build/bin/chapel and build/bin/chapel-dev.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$root/build/e2e"
rm -rf "$out"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# A display of our own, so a desktop session or another test run is untouched.
for n in $(seq 99 -1 60); do
  if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then display=":$n"; break; fi
done
Xvfb "$display" -screen 0 1280x900x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
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
    id=$(xwininfo -root -tree 2>/dev/null | awk '/"Chapel"/ {print $1; exit}')
    [ -n "$id" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "the app exited early:"; cat "$log"; return 1; }
    sleep 0.2
  done
  [ -n "$id" ] || { echo "no window titled Chapel appeared"; cat "$log"; return 1; }
  # Give WebKit time to load and paint the page.
  local ok=1
  for _ in $(seq 30); do
    sleep 1
    import -window "$id" "$shot" 2>/dev/null || continue
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
run "browser: pick model, stream, stop, restart, history kept" browser_test

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
