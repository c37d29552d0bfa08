#!/usr/bin/env bash
# The packages, built and used as a user would (run by `make test`):
#  - builds the .deb and .tar.gz from the portable Linux build and the NSIS
#    installer and .zip from the cross-compiled chapel.exe;
#  - installs the .deb with dpkg -i on this machine, checks its files (the
#    /usr/bin/chapel link, icons at every size, a valid .desktop entry and
#    AppStream metainfo, runtime dependencies only), starts the installed
#    chapel under Xvfb and checks a screenshot of its window, opens a file
#    with a second launch (it must reach the running window: one instance),
#    runs `chapel chat` on the test model from the installed path, then
#    removes the package;
#  - under Wine: `chapel.exe version`, which engine chapel.exe runs under
#    Wine and why (`version --verbose`, and backend/variant's choice for a
#    release carrying every engine), `chapel.exe chat` on the test model (the
#    Windows engine generates, through its worker process), the installer
#    run silently for the user and its uninstaller (with the engine variants
#    given, that they are installed and removed), and the Windows models
#    folder test of backend/paths.
# usage: scripts/test-packages.sh LINUX_BINARY WINDOWS_EXE [WINDOWS_VARIANT_EXE...]
#   (make test passes chapel.exe alone; make test-packages
#   TEST_WIN_VARIANTS="build/bin/windows/chapel-avx512.exe ..." adds the
#   engines that make release builds)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
linux_bin=${1:-build/bin/chapel-v3}
win_exe=${2:-build/bin/windows/chapel.exe}
win_variants=("${@:3}")
out="${PKG_TEST_OUT:-$root/build/test-packages}"
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d /tmp/chapel-pkgtest.XXXXXX)
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
pids=()
installed=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$installed" = 1 ]; then $SUDO dpkg -r chapel >/dev/null 2>&1 || true; fi
  [ -d "$work/wine" ] && WINEPREFIX="$work/wine" wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

passed=0 failures=0
run() {
  local name=$1; shift
  if "$@"; then echo "PASS: $name"; passed=$((passed + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); return 1; fi
}

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
# What the packaged binaries say they are: the installed ones must say the same.
linux_version=$("$linux_bin" version)
model="$root/../shared/models/stories260K.gguf"
if [ ! -f "$model" ]; then
  echo "test-packages: ../shared/models/stories260K.gguf is absent; using a generated random-weight model"
  model="$work/tiny-test-model.gguf"
  "$linux_bin" synth-model --shape tiny "$model"
fi
prompt="Once upon a time"

# --- building the packages ----------------------------------------------------
build_packages() {
  mkdir -p "$work/bin"
  cp "$linux_bin" "$work/bin/chapel"
  bash scripts/package-linux.sh "$out" "$version" "$work/bin/chapel" &&
  NSIS_FAST=1 bash scripts/package-windows.sh "$out" "$version" "$win_exe" "${win_variants[@]}" &&
  deb=$(ls "$out"/chapel_*.deb) && tgz=$(ls "$out"/chapel-*-linux-*.tar.gz) &&
  setup=$(ls "$out"/chapel-*-windows-amd64-setup.exe) && zip=$(ls "$out"/chapel-*-windows-amd64.zip)
}
run "packages built: .deb, .tar.gz, Windows installer, .zip" build_packages || { echo "$passed passed, $failures failed"; exit 1; }

# --- the .deb ---------------------------------------------------------------------
deb_metadata() {
  local deps
  deps=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $deps"
  grep -q 'libwebkit2gtk-4.1-0' <<<"$deps" && grep -q 'libgtk-3-0' <<<"$deps" && ! grep -q -- '-dev' <<<"$deps"
}
run ".deb depends on the WebKitGTK 4.1 and GTK 3 runtime, not -dev packages" deb_metadata || true

# lintian, Debian's checker of packages: no error and no warning. What it
# says and is so on purpose is in build/linux/lintian-overrides, with why.
deb_lint() {
  command -v lintian >/dev/null || { echo "lintian is missing (make deps installs it)"; return 1; }
  local rc=0
  lintian --fail-on error,warning --tag-display-limit 0 "$deb" >"$work/lintian.txt" 2>&1 || rc=$?
  grep -v 'running with root privileges' "$work/lintian.txt" || true
  [ "$rc" = 0 ] || return 1
  local contents target
  contents=$(dpkg-deb -c "$deb")
  grep -q ' ./usr/share/man/man1/chapel.1.gz$' <<<"$contents" || { echo "no manual page"; return 1; }
  target=$(awk '$6 == "./usr/bin/chapel" && $7 == "->" { print $8 }' <<<"$contents")
  [ "$target" = ../lib/chapel/chapel ] || { echo "/usr/bin/chapel -> '$target', not the relative ../lib/chapel/chapel"; return 1; }
}
run ".deb passes lintian (no errors or warnings), with its manual page and a relative /usr/bin link" deb_lint || true

deb_install() {
  $SUDO dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; return 1; }
  installed=1
  [ "$(readlink -f /usr/bin/chapel)" = /usr/lib/chapel/chapel ] || { echo "/usr/bin/chapel -> $(readlink -f /usr/bin/chapel)"; return 1; }
  local got
  got=$(/usr/bin/chapel version)
  echo "$got"
  [ "$got" = "$linux_version" ] || return 1
  # The engine variants are looked up beside the real file, not the link.
  local info
  if info=$(/usr/bin/chapel version --json 2>/dev/null) && grep -q '"engine_path"' <<<"$info"; then
    grep -q '"engine_path":"/usr/lib/chapel/chapel' <<<"$info" || { echo "engine looked up beside the link: $info"; return 1; }
    echo "engine: $(grep -o '"engine":"[^"]*"' <<<"$info"), $(grep -o '"engine_path":"[^"]*"' <<<"$info")"
  fi
}

deb_files() {
  local ok=0 s got
  for s in 16 22 24 32 48 64 128 256 512; do
    got=$(identify -format '%wx%h' "/usr/share/icons/hicolor/${s}x${s}/apps/chapel.png" 2>/dev/null || echo missing)
    [ "$got" = "${s}x${s}" ] || { echo "icon ${s}x${s}: $got"; ok=1; }
  done
  if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate /usr/share/applications/chapel.desktop || ok=1
  fi
  appstreamcli validate --no-net /usr/share/metainfo/app.chapel.Chapel.metainfo.xml >"$work/appstream.txt" 2>&1 || { cat "$work/appstream.txt"; ok=1; }
  local l
  for l in "llama.cpp" "pdfjs-dist@" "pdf.js asset: wasm/LICENSE_OPENJPEG" "katex@"; do
    grep -qF "$l" /usr/share/doc/chapel/THIRD_PARTY_LICENSES.txt 2>/dev/null || { echo "licences: $l missing from THIRD_PARTY_LICENSES.txt"; ok=1; }
  done
  man -l /usr/share/man/man1/chapel.1.gz 2>/dev/null | grep -q 'chapel - private AI assistant' || { echo "man chapel does not render"; ok=1; }
  return $ok
}

deb_chat() {
  local reply
  reply=$(CHAPEL_HOME="$work/home-cli" /usr/bin/chapel chat --model "$model" --max-tokens 24 --temperature 0 --seed 1 "$prompt" 2>"$work/chat.err") || { cat "$work/chat.err"; return 1; }
  echo "reply: ${reply:0:120}"
  [ -n "${reply// /}" ]
}

# The window, and a second launch handing it a file (single instance). Wails
# finds the running window over D-Bus: a session bus of our own.
deb_window() {
  local display home="$work/home-window" shot="$out/installed-window.png" log="$out/installed-window.log"
  Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
  display=":$(head -n1 "$work/display")"
  [ "$display" != ":" ] || { echo "Xvfb did not start"; return 1; }
  dbus-daemon --session --nofork --nopidfile --address="unix:path=$work/bus" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -S "$work/bus" ] && break; sleep 0.1; done
  export DISPLAY=$display DBUS_SESSION_BUS_ADDRESS="unix:path=$work/bus"
  mkdir -p "$home"
  CHAPEL_HOME="$home" /usr/bin/chapel >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  local id=""
  for _ in $(seq 150); do
    id=$(xwininfo -root -tree 2>/dev/null | awk '$2 == "\"Chapel\":" && match($0, /[0-9]+x[0-9]+\+/) { split(substr($0, RSTART, RLENGTH), a, "x"); if (a[1] + 0 >= 400) { print $1; exit } }')
    [ -n "$id" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "the installed app exited early:"; cat "$log"; return 1; }
    sleep 0.2
  done
  [ -n "$id" ] || { echo "no window titled Chapel appeared"; cat "$log"; return 1; }
  local ok=1
  for _ in $(seq 30); do
    sleep 1
    timeout 10 import -window "$id" "$shot" 2>/dev/null || continue
    if node scripts/check-window.mjs "$shot" >"$work/window-check.txt" 2>&1; then ok=0; break; fi
  done
  cat "$work/window-check.txt"
  [ "$ok" = 0 ] || return 1
  echo "screenshot: $shot"

  # A second launch with a file: it must not open a window of its own, and
  # the file must reach the running one, which adds it as a document.
  printf '# Second launch\n\nThis note was opened while Chapel was running.\n' >"$work/second-launch-note.md"
  (cd "$work" && CHAPEL_HOME="$home" exec /usr/bin/chapel second-launch-note.md >"$work/second.log" 2>&1) &
  local second=$! handed=1
  for _ in $(seq 150); do
    kill -0 "$second" 2>/dev/null || { handed=0; break; }
    sleep 0.2
  done
  if [ "$handed" != 0 ]; then
    kill "$second" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    echo "the second launch kept running (a window of its own?) instead of handing its file over"
    return 1
  fi
  local found=1
  for _ in $(seq 60); do
    if CHAPEL_HOME="$home" /usr/bin/chapel documents --json 2>/dev/null | grep -q 'second-launch-note.md'; then found=0; break; fi
    sleep 0.5
  done
  local windows
  windows=$(xwininfo -root -tree 2>/dev/null | awk '$2 == "\"Chapel\":" && match($0, /[0-9]+x[0-9]+\+/) { split(substr($0, RSTART, RLENGTH), a, "x"); if (a[1] + 0 >= 400) n++ } END { print n + 0 }')
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "$found" = 0 ] || { echo "the file of the second launch did not reach the running window"; cat "$work/second.log"; return 1; }
  echo "second launch: the file reached the running window; Chapel windows open: $windows"
  [ "$windows" = 1 ]
}

# The window's size and position: saved when it is closed (as a window
# manager's close button asks: WM_DELETE_WINDOW), restored at the next start,
# and fitted to the screen when the saved place is off it (Xvfb: 1280x900).
chapel_window() { # prints the id of the Chapel window once it shows
  local id=""
  for _ in $(seq 150); do
    id=$(xwininfo -root -tree 2>/dev/null | awk '$2 == "\"Chapel\":" && match($0, /[0-9]+x[0-9]+\+/) { split(substr($0, RSTART, RLENGTH), a, "x"); if (a[1] + 0 >= 400) { print $1; exit } }')
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.2
  done
  return 1
}
geometry_setting() { # data folder [new value]: prints (or sets) the saved geometry
  python3 - "$1/chapel.db" "${2:-}" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
if sys.argv[2]:
    db.execute("UPDATE settings SET value = ? WHERE key = 'window.geometry'", (sys.argv[2],))
    db.commit()
row = db.execute("SELECT value FROM settings WHERE key = 'window.geometry'").fetchone()
print(row[0] if row else "")
PY
}
window_at() { # home: starts chapel, prints "X Y W H" once it has settled, closes it
  local home=$1 id pid
  CHAPEL_HOME="$home" /usr/bin/chapel >>"$out/installed-geometry.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  id=$(chapel_window) || { kill "$pid"; return 1; }
  sleep 4   # the page loads, then the remembered place is applied
  xwininfo -id "$id" | awk '/Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF} /Width:/ {w=$NF} /Height:/ {h=$NF} END {print x, y, w, h}'
  python3 scripts/x11-close.py "$id"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  echo "the window did not close on WM_DELETE_WINDOW"
  kill "$pid"
  return 1
}
deb_geometry() {
  local home="$work/home-geometry" got
  mkdir -p "$home"
  got=$(window_at "$home") || { echo "$got"; return 1; }
  local saved; saved=$(geometry_setting "$home")
  echo "first start at $got, saved on close: $saved"
  [[ $saved == *'"width":'* ]] || { echo "nothing saved on close"; return 1; }
  geometry_setting "$home" '{"x":120,"y":70,"width":900,"height":620,"maximised":false}' >/dev/null
  got=$(window_at "$home") || { echo "$got"; return 1; }
  echo "restored: $got"
  [ "$got" = "120 70 900 620" ] || { echo "want 120 70 900 620"; return 1; }
  geometry_setting "$home" '{"x":5000,"y":4000,"width":900,"height":620,"maximised":false}' >/dev/null
  got=$(window_at "$home") || { echo "$got"; return 1; }
  echo "saved off the screen, restored at: $got"
  [ "$got" = "380 280 900 620" ] || { echo "want 380 280 900 620 (fitted to 1280x900)"; return 1; }
}

deb_remove() {
  $SUDO dpkg -r chapel >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; return 1; }
  installed=0
  [ ! -e /usr/bin/chapel ] && [ ! -e /usr/lib/chapel ] && [ ! -e /usr/share/applications/chapel.desktop ]
}

# (removed packages whose configuration files remain are not installed)
if [ "$(dpkg-query -W -f='${db:Status-Status}' chapel 2>/dev/null)" = installed ]; then
  echo "SKIP: .deb install checks: a chapel package is installed on this machine already, and this test does not replace it"
else
  if run ".deb installs with dpkg -i; /usr/bin/chapel links to /usr/lib/chapel/chapel and runs" deb_install; then
    run "installed files: icons 16-512, .desktop entry, AppStream metainfo, manual page, licences" deb_files || true
    run "installed chapel chat generates on the test model" deb_chat || true
    run "installed chapel opens its window under Xvfb (screenshot); a second launch hands its file to it" deb_window || true
    run "installed window: size and position saved on close, restored, fitted to the screen" deb_geometry || true
    run ".deb removes with dpkg -r, leaving nothing in /usr" deb_remove || true
  fi
fi

tarball() {
  mkdir -p "$work/tar"
  tar -C "$work/tar" -xzf "$tgz"
  local dir
  dir=$(ls -d "$work/tar"/chapel-*)
  [ "$("$dir/chapel" version)" = "$linux_version" ] && [ -f "$dir/share/applications/chapel.desktop" ] && [ -f "$dir/THIRD_PARTY_LICENSES.txt" ]
}
run "portable .tar.gz runs in place" tarball || true

# --- Windows, under Wine ----------------------------------------------------------
if ! command -v wine >/dev/null; then
  echo "FAIL: wine is missing (Debian package wine; make deps-system)"; failures=$((failures + 1))
else
  # shellcheck source=scripts/wine/prefix.sh
  . scripts/wine/prefix.sh
  wine_setup() {
    wine_prefix "$work/wine" || return 1
    mkdir -p "$work/win"
    (cd "$work/win" && unzip -q "$zip")
    wexe=$(ls "$work"/win/chapel-*/chapel.exe)
  }
  winpath() { winepath -w "$1" 2>/dev/null; }
  wine_version() {
    timeout 120 wine "$wexe" version >"$work/wine-version.txt" 2>"$work/wine-version.err" || { cat "$work/wine-version.txt" "$work/wine-version.err"; return 1; }
    cat "$work/wine-version.txt"
    win_version=$(cat "$work/wine-version.txt")
    grep -q '^chapel ' <<<"$win_version"
  }
  # Which engine chapel.exe runs under Wine, and why (backend/variant): this
  # package's choice, then the choice for a release carrying every engine,
  # from backend/variant's test cross-compiled without cgo (seconds).
  wine_engine() {
    timeout 120 wine "$wexe" version --verbose >"$work/wine-verbose.txt" 2>&1 || { cat "$work/wine-verbose.txt"; return 1; }
    sed 's/^/  /' "$work/wine-verbose.txt"
    grep -q '^engine: ' "$work/wine-verbose.txt" && grep -q '^why: ' "$work/wine-verbose.txt" || return 1
    GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$work/variant_test.exe" ./backend/variant/ || return 1
    timeout 120 wine "$work/variant_test.exe" -test.run 'TestDetectThisCPU' -test.v >"$work/variant.txt" 2>&1 || { cat "$work/variant.txt"; return 1; }
    grep -o 'a release here runs .*' "$work/variant.txt" | sed 's/^/  under Wine, /'
  }
  wine_chat() {
    local reply
    reply=$(timeout 300 wine "$wexe" chat --home "$(winpath "$work/home-wine")" --model "$(winpath "$model")" \
      --max-tokens 24 --temperature 0 --seed 1 "$prompt" 2>"$work/wine-chat.err") || { cat "$work/wine-chat.err"; return 1; }
    echo "reply: ${reply:0:120}"
    [ -n "${reply//[[:space:]]/}" ]
  }
  wine_installer() {
    local user; user=$(id -un)
    local dir="$WINEPREFIX/drive_c/users/$user/AppData/Local/Programs/Chapel"
    local lnk="$WINEPREFIX/drive_c/users/$user/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Chapel.lnk"
    timeout 300 wine "$setup" /S >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; return 1; }
    [ -f "$dir/chapel.exe" ] && [ -f "$dir/uninstall.exe" ] || { echo "not installed in $dir"; ls -la "$dir" 2>&1; return 1; }
    [ -f "$lnk" ] || { echo "no Start menu entry at $lnk"; return 1; }
    wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Chapel' /v UninstallString 2>/dev/null | grep -q uninstall.exe ||
      { echo "no uninstall entry in HKCU"; return 1; }
    [ "$(timeout 120 wine "$dir/chapel.exe" version)" = "$win_version" ] || { echo "the installed chapel.exe does not run"; return 1; }
    local v
    for v in "${win_variants[@]}"; do
      [ -f "$dir/$(basename "$v")" ] || { echo "the installer left out $(basename "$v")"; return 1; }
    done
    # The uninstaller copies itself to a temporary folder and runs from there.
    timeout 120 wine "$dir/uninstall.exe" /S >/dev/null 2>&1 || true
    for _ in $(seq 60); do [ ! -e "$dir/chapel.exe" ] && [ ! -e "$lnk" ] && break; sleep 0.5; done
    [ ! -e "$dir/chapel.exe" ] && [ ! -e "$lnk" ] || { echo "the uninstaller left files"; return 1; }
    for v in "${win_variants[@]}"; do
      [ ! -e "$dir/$(basename "$v")" ] || { echo "the uninstaller left $(basename "$v")"; return 1; }
    done
    ! wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Chapel' >/dev/null 2>&1
  }
  wine_paths() {
    # Pure Go: cross-compiled without cgo in seconds.
    GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$work/paths_test.exe" ./backend/paths/ || return 1
    timeout 120 wine "$work/paths_test.exe" -test.run 'TestModelsDirWindows' -test.v >"$work/paths.txt" 2>&1
    local rc=$?
    grep -E -- '--- (PASS|FAIL|SKIP)' "$work/paths.txt"
    [ "$rc" = 0 ] && grep -q -- '--- PASS: TestModelsDirWindows/default' "$work/paths.txt"
  }
  if run "Wine prefix ready" wine_setup; then
    run "chapel.exe version under Wine" wine_version || true
    run "which Windows engine chapel.exe runs under Wine, and why" wine_engine || true
    run "chapel.exe chat generates on the test model under Wine (the Windows engine, through its worker)" wine_chat || true
    run "Windows installer: per-user silent install, Start menu entry, uninstall entry, uninstaller removes it" wine_installer || true
    run "Windows: models in %LocalAppData%, data in %AppData% (backend/paths under Wine)" wine_paths || true
  fi
fi

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
