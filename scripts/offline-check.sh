#!/usr/bin/env bash
# The offline promise, checked on the real binaries (run by `make test`):
#  1. a CLI chat and a summary succeed inside a network namespace with no
#     interface but a loopback that is down (`unshare -n`): nothing they do
#     needs a network;
#  2. strace of `chapel chat`, `chapel summarize` and the window (under Xvfb,
#     a few seconds) shows no AF_INET or AF_INET6 socket opened (the window
#     talks to the X server over AF_UNIX);
#  3. the browser end-to-end suite (scripts/e2e.sh) passes inside a network
#     namespace whose only interface is the loopback, up (chromium reaches
#     the dev server on 127.0.0.1). OFFLINE_BROWSER=0 skips it.
# Steps that cannot run here (no unshare: not root; no strace) are skipped
# with a message. Needs build/bin/chapel (and build/bin/chapel-dev for 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin="$root/build/bin/chapel"
out="${OFFLINE_OUT:-$root/build/offline}"
rm -rf "$out"
mkdir -p "$out"
export CHAPEL_THREADS=1
[ -x "$bin" ] || { echo "offline-check: $bin is missing; run make build-go first"; exit 1; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

model="$root/../shared/models/stories260K.gguf"
if [ ! -f "$model" ]; then
  model="$out/tiny-test-model.gguf"
  "$bin" synth-model --shape tiny "$model" >/dev/null
fi
doc="$out/notes.md"
for i in 1 2 3 4 5 6; do
  printf '# Part %d\n\nThe farmers of valley %d counted their sheep and planted barley near the river in spring.\n\n' "$i" "$i"
done >"$doc"

passed=0 failures=0 skipped=0
run() {
  local name=$1; shift
  local rc=0
  "$@" || rc=$?
  case $rc in
    0) echo "PASS: $name"; passed=$((passed + 1)) ;;
    77) echo "SKIP: $name"; skipped=$((skipped + 1)) ;;
    *) echo "FAIL: $name"; failures=$((failures + 1)) ;;
  esac
}

# chat_and_summary HOME [WRAPPER...]: a chat and a summary, run through WRAPPER.
chat_and_summary() {
  local home=$1; shift
  "$@" "$bin" chat --home "$home" --model "$model" --max-tokens 16 --seed 1 "Hello there" >"$home.chat.txt" 2>"$home.chat.err" ||
    { echo "chat failed:"; cat "$home.chat.err"; return 1; }
  [ -s "$home.chat.txt" ] || { echo "chat printed no reply"; return 1; }
  "$@" "$bin" summarize --home "$home" --model "$model" "$doc" >"$home.summary.txt" 2>"$home.summary.err" ||
    { echo "summarize failed:"; cat "$home.summary.err"; return 1; }
  grep -q "Covers" "$home.summary.txt" || { echo "the summary has no coverage line:"; cat "$home.summary.txt"; return 1; }
}

has_netns() { unshare -n true 2>/dev/null; }

# --- 1. no network at all ------------------------------------------------------
netns_cli() {
  has_netns || { echo "unshare -n failed (this needs root or user namespaces): not checked"; return 77; }
  local links
  links=$(unshare -n ip -o link 2>/dev/null | grep -vc ': lo:' || true)
  [ "$links" = 0 ] || { echo "the namespace has $links interfaces besides lo"; return 1; }
  chat_and_summary "$out/netns-home" unshare -n
}

# --- 2. no internet socket opened ------------------------------------------------
# inet_sockets FILE: the lines of an strace log that open an AF_INET or
# AF_INET6 socket, or connect, bind or send to such an address. (Netlink
# route listings, which GLib's network monitor reads, mention AF_INET as
# data, not as a socket: they do not count.)
inet_sockets() {
  grep -E 'socket\((AF|PF)_INET6?,|(connect|bind|sendto)\([0-9]+, \{sa_family=AF_INET6?,' "$1" | cut -c1-200 || true
}

# families FILE: the address families of the sockets an strace log opened.
families() { grep -o 'socket([A-Z_0-9]*' "$1" | sed 's/socket(//' | sort -u | paste -sd, - || true; }

strace_cli() {
  command -v strace >/dev/null || { echo "strace is not installed (apt package strace): not checked"; return 77; }
  local h="$out/strace-home"
  strace -f -qq -e trace=network -o "$out/strace-chat.txt" \
    "$bin" chat --home "$h" --model "$model" --max-tokens 16 "Hello there" >"$h.chat.txt" 2>&1 ||
    { echo "chat failed under strace:"; cat "$h.chat.txt"; return 1; }
  strace -f -qq -e trace=network -o "$out/strace-summarize.txt" \
    "$bin" summarize --home "$h" --model "$model" "$doc" >"$h.summary.txt" 2>&1 ||
    { echo "summarize failed under strace:"; cat "$h.summary.txt"; return 1; }
  local bad=0
  for f in "$out/strace-chat.txt" "$out/strace-summarize.txt"; do
    [ -f "$f" ] || { echo "no trace in $f"; bad=1; continue; }
    if [ -n "$(inet_sockets "$f")" ]; then echo "internet sockets in $f:"; inet_sockets "$f" | head; bad=1; fi
    echo "$(basename "$f"): $(grep -c 'socket(' "$f" || true) sockets opened ($(families "$f")), none AF_INET/AF_INET6"
  done
  return $bad
}

strace_window() {
  command -v strace >/dev/null || { echo "strace is not installed: not checked"; return 77; }
  command -v Xvfb >/dev/null || { echo "Xvfb is not installed: not checked"; return 77; }
  Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$out/display" >"$out/xvfb.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$out/display" ] && break; sleep 0.1; done
  local display=":$(head -n1 "$out/display")"
  [ "$display" != ":" ] || { echo "Xvfb did not start"; return 1; }
  mkdir -p "$out/window-home"
  # A few seconds of the window: start-up, the page loaded, the model list read.
  DISPLAY="$display" CHAPEL_HOME="$out/window-home" timeout -s TERM 8 \
    strace -f -qq -e trace=network -o "$out/strace-window.txt" "$bin" >"$out/window.log" 2>&1 || true
  [ -s "$out/strace-window.txt" ] || { echo "no trace of the window"; cat "$out/window.log"; return 1; }
  grep -q 'AF_UNIX' "$out/strace-window.txt" || { echo "the window never reached the X server (no AF_UNIX socket):"; cat "$out/window.log"; return 1; }
  if [ -n "$(inet_sockets "$out/strace-window.txt")" ]; then
    echo "the window opened internet sockets:"; inet_sockets "$out/strace-window.txt" | head; return 1
  fi
  echo "strace-window.txt: $(grep -c 'socket(' "$out/strace-window.txt" || true) sockets opened ($(families "$out/strace-window.txt")), none AF_INET/AF_INET6"
}

# --- 3. the browser suite with only a loopback -------------------------------------
netns_browser() {
  [ "${OFFLINE_BROWSER:-1}" != 0 ] || { echo "OFFLINE_BROWSER=0: not run here (make test ran the browser suite inside a network namespace as test-e2e)"; return 77; }
  has_netns || { echo "unshare -n failed: not checked"; return 77; }
  [ -x "$root/build/bin/chapel-dev" ] || { echo "build/bin/chapel-dev is missing (make dev-go)"; return 1; }
  E2E_OUT="$out/e2e" unshare -n sh -c 'ip link set lo up && exec bash scripts/e2e.sh' >"$out/e2e.log" 2>&1 ||
    { tail -30 "$out/e2e.log"; return 1; }
  grep -E '^(PASS|FAIL)' "$out/e2e.log"
}

run "chat and summary inside a network namespace with no interfaces (unshare -n)" netns_cli
run "chat and summarize open no AF_INET/AF_INET6 socket (strace)" strace_cli
run "the window opens no AF_INET/AF_INET6 socket (strace, Xvfb)" strace_window
run "the browser end-to-end suite inside a network namespace with only loopback" netns_browser

echo "offline check: $passed passed, $failures failed, $skipped skipped"
[ "$failures" -eq 0 ]
