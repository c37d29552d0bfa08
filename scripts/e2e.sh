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
  if "$@"; then echo "PASS: $name"; passed=$((passed + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); failed+=("$name"); fi
}
passed=0
failed=()

# --- the real window ---------------------------------------------------------
# window_shot HOME SHOT CHECK: start the app on data folder HOME, wait for its
# window, screenshot it to SHOT until the script CHECK accepts it.
window_shot() {
  local home=$1 shot=$2 check=$3 log="${2%.png}.log"
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
    if node "$check" "$shot" >"${shot%.png}-check.txt" 2>&1; then ok=0; break; fi
  done
  cat "${shot%.png}-check.txt"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "screenshot: $shot"
  return $ok
}

window_test() { window_shot "$out/window-home" "$out/window.png" scripts/check-window.mjs; }

# A data folder whose database is damaged (every page but the first
# overwritten): the window opens on the "database damaged" screen, and the
# log says why.
damaged_window_test() {
  local home="$out/damaged-home"
  mkdir -p "$home"
  for q in "Hello" "Tell me a story" "And then?"; do
    CHAPEL_HOME="$home" build/bin/chapel chat --model "$CHAPEL_E2E_MODEL" --max-tokens 8 "$q" >/dev/null 2>&1 || { echo "chat failed"; return 1; }
  done
  local pages=$(( $(stat -c %s "$home/chapel.db") / 4096 ))
  dd if=/dev/urandom of="$home/chapel.db" bs=4096 seek=1 count=$((pages - 1)) conv=notrunc status=none
  window_shot "$home" "$out/damaged-window.png" scripts/check-damaged-window.mjs || return 1
  grep -q "the database is damaged" "$home/logs/chapel.log" || { echo "the log does not say the database is damaged"; return 1; }
}

# A data folder whose stored theme (Settings → Appearance) is Dark: the
# window opens dark, whatever the system prefers.
dark_window_test() {
  local home="$out/dark-home"
  mkdir -p "$home"
  CHAPEL_HOME="$home" build/bin/chapel conversations >/dev/null || { echo "could not create the database"; return 1; }
  python3 -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)", ("appearance", '"'"'{"theme": "dark", "notify_summaries": true}'"'"')); db.commit()' "$home/chapel.db" \
    || { echo "could not store the theme"; return 1; }
  CHECK_THEME=dark window_shot "$home" "$out/window-dark.png" scripts/check-window.mjs
}

# --- the real browser ----------------------------------------------------------
# The dev binary serves the UI to the browser only: with a devserver address
# its own window starts hidden, on an empty page (app/window_dev.go), so each
# event (a dropped file) reaches one frontend.
browser_test() {
  node frontend/e2e/run.mjs --out "$out"
}

run "app window renders the Chapel UI (Xvfb screenshot)" window_test
run "a damaged database opens the window on its damaged screen (Xvfb screenshot)" damaged_window_test
run "Dark stored in Settings → Appearance: the window opens dark (Xvfb screenshot)" dark_window_test
run "browser: pick model, stream, stop; drop a PDF, summary with citations, passage, ask; restart, all kept" browser_test

echo "$passed passed, $failures failed"
# A recap at the very end, where CI's shortened output still shows it: which
# tests failed and, for the browser suite, the step and its error.
for name in "${failed[@]}"; do echo "FAILED: $name"; done
[ ! -s "$out/browser-failure.txt" ] || head -c 2000 "$out/browser-failure.txt"
[ "$failures" -eq 0 ]
