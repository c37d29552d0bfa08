#!/usr/bin/env bash
# Writes the licence texts of everything a Chapel binary bundles into one
# file (the packages ship it as THIRD_PARTY_LICENSES.txt): the Go modules
# linked into the binary, read from the module cache; llama.cpp and ggml
# (inside the ollama module); the Go standard library; and the npm packages
# compiled into the web UI and pdf.js's assets, read from
# frontend/node_modules.
# usage: scripts/collect-licenses.sh OUT [GOOS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$1
goos=${2:-linux}
tags="desktop,production,sqlite_fts5,webkit2_41"

section() { # name, licence file
  printf '\n================================================================\n%s\n(%s)\n================================================================\n\n' "$1" "${2#"$root"/}"
  cat "$2"
}

{
  echo "Chapel bundles the following software. Each is used under its own licence,"
  echo "reproduced below. The About box lists them (frontend/src/lib/bundled.ts)."
  section "Go standard library" "$(go env GOROOT)/LICENSE"
  # The modules of the packages linked into the binary (go list reads, never builds).
  GOOS=$goos CGO_ENABLED=1 go list -deps -tags "$tags" -f '{{with .Module}}{{if not .Main}}{{.Path}}@{{.Version}} {{.Dir}}{{end}}{{end}}' . | sort -u |
    while read -r mod dir; do
      for f in "$dir"/LICENSE* "$dir"/LICENCE* "$dir"/COPYING*; do
        [ -f "$f" ] && section "$mod" "$f"
      done
      case $mod in
        github.com/ollama/ollama@*)
          section "llama.cpp (in $mod)" "$dir/llama/llama.cpp/LICENSE"
          section "ggml (in $mod)" "$dir/ml/backend/ggml/ggml/LICENSE" ;;
        github.com/mattn/go-sqlite3@*)
          printf '\n================================================================\nSQLite (the amalgamation compiled into %s)\n================================================================\n\n' "$mod"
          echo "The SQLite source code is in the public domain: https://sqlite.org/copyright.html" ;;
      esac
    done
  # Compiled into the web UI (frontend/dist): the frontend's dependencies and
  # Svelte, whose runtime the compiled components carry.
  for pkg in svelte $(node -p "Object.keys(require('./frontend/package.json').dependencies).join(' ')"); do
    dir="frontend/node_modules/$pkg"
    version=$(node -p "require('./$dir/package.json').version")
    for f in "$dir"/LICENSE* "$dir"/LICENCE*; do
      [ -f "$f" ] && section "$pkg@$version (npm)" "$root/$f"
    done
  done
  # pdf.js's assets, copied into frontend/dist/pdfjs (vite.config.ts): its
  # image decoders (OpenJPEG, PDFium's JBIG2, qcms, QuickJS, built to
  # WebAssembly), the standard fonts (Foxit, Liberation), the character maps
  # (Adobe) and the colour profile, each with its own licence.
  for f in frontend/node_modules/pdfjs-dist/{wasm,standard_fonts,cmaps,iccs}/LICENSE*; do
    [ -f "$f" ] && section "pdf.js asset: ${f#frontend/node_modules/pdfjs-dist/}" "$root/$f"
  done
} >"$out"
echo "wrote $out"
