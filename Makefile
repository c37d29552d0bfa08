# Chapel's one build entry point. This file is the only place that sets the cgo
# environment and build tags, so every build, test, run and benchmark shares
# one Go build cache (a changed flag recompiles llama.cpp: minutes on 2 cores).

SHELL := /bin/bash
.DEFAULT_GOAL := build

GO          ?= go
GOPATH      := $(shell $(GO) env GOPATH)
GOMODCACHE  := $(shell $(GO) env GOMODCACHE)
export PATH := $(GOPATH)/bin:$(PATH)

VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
OLLAMA_VER  := v0.17.4
OLLAMA      := $(GOMODCACHE)/github.com/ollama/ollama@$(OLLAMA_VER)
WAILS_VER   := v2.11.0
# the module version (staticcheck calls it 2026.2.2; the module proxy serves it as v0.8.2 only)
STATICCHECK_VER := v0.8.2

# CPU flags: native for local builds; release builds pass a portable baseline,
# e.g. `make build CPU_FLAGS=-march=x86-64-v3`.
CPU_FLAGS   ?= -march=native
TAGS        := sqlite_fts5,webkit2_41
SPACE_TAGS  = $(subst $(comma), ,$(TAGS))
comma       := ,

export CGO_ENABLED  := 1
# -iquote ggml/src and ggml-cpu: backend/llama compiles ggml's AMX kernels,
# which ggml-cpu calls when the target CPU has AMX (see amx_kernels.cpp).
GGML_SRC    := $(OLLAMA)/ml/backend/ggml/ggml/src
export CGO_CPPFLAGS := -I$(OLLAMA)/llama/llama.cpp/include -I$(OLLAMA)/ml/backend/ggml/ggml/include \
                       -iquote $(GGML_SRC) -iquote $(GGML_SRC)/ggml-cpu -DGGML_USE_CPU_REPACK
export CGO_CFLAGS   := -O3 $(CPU_FLAGS)
export CGO_CXXFLAGS := -O3 $(CPU_FLAGS)
# ENGINE_VARIANT: the CPU level a build is compiled for, as backend/variant
# names it (native for local builds; the release passes each variant's name)
ENGINE_VARIANT ?= native
LDFLAGS     = -X main.version=$(VERSION) -X github.com/chapelapp/chapel/backend/variant.Built=$(ENGINE_VARIANT)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev \
            xvfb xauth x11-utils imagemagick chromium fonts-dejavu-core nodejs npm \
            qemu-user strace \
            gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 nsis wine wine64 zip unzip dbus \
            desktop-file-utils appstream lintian python3

BIN := build/bin/chapel

# The packages (.deb, .tar.gz, Windows installer and .zip) and their test.
include build/packages.mk

.PHONY: screenshots lint test-race deps-lint go-test release-engines test-amx test-arm64 test-arm64-base bench build build-go dev-go release release-go release-check run test test-go vet-darwin deps-arm64 test-frontend test-e2e test-offline deps deps-system deps-go deps-frontend \
        frontend dev-binary vet clean env

## deps: install what is missing (Debian packages, Go modules, npm packages)
deps: deps-system deps-go deps-frontend

deps-system:
	@missing=$$(for p in $(APT_PKGS); do [ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || echo $$p; done); \
	if command -v node >/dev/null && command -v npm >/dev/null; then missing=$$(echo "$$missing" | grep -vxE 'nodejs|npm'); fi; \
	missing=$$(echo $$missing); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

deps-go:
	@[ -d "$(OLLAMA)" ] || $(GO) mod download

# The wails CLI is needed only to package for macOS and Windows.
deps-wails:
	@[ -x "$(GOPATH)/bin/wails" ] || { echo "installing the wails CLI $(WAILS_VER)"; $(GO) install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VER); }

# staticcheck, run by `make lint`
deps-lint:
	@[ -x "$(GOPATH)/bin/staticcheck" ] && "$(GOPATH)/bin/staticcheck" -version | grep -qF "($(STATICCHECK_VER:v%=%))" || { echo "installing staticcheck $(STATICCHECK_VER)"; $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VER); }

deps-frontend:
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 19)) { console.error("The frontend build (Vite 7) needs Node.js 20.19 or newer; this machine has " + process.versions.node + ". Install a newer nodejs (e.g. from your distribution backports) and run make again."); process.exit(1); }'
	@cd frontend && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }

env: ## print the build environment
	@echo "CGO_CPPFLAGS=$$CGO_CPPFLAGS"; echo "CGO_CFLAGS=$$CGO_CFLAGS"; echo "CGO_CXXFLAGS=$$CGO_CXXFLAGS"; echo "TAGS=$(TAGS)"

## frontend: build the web UI into frontend/dist
frontend: deps-frontend
	cd frontend && npm run build

## build: build/bin/chapel, the desktop app and CLI in one binary. It calls
## go build with Wails' production tags itself: `wails build` appends its own
## -I flag to CGO_CXXFLAGS, which would give llama.cpp a second build cache.
build: deps frontend build-go

# STRIP= keeps the symbols, e.g. for perf: `make build-go STRIP= BIN=build/bin/prof/chapel`
STRIP ?= -w -s
# HARDEN=1: a position-independent executable (ASLR for the program too),
# linked with full RELRO and immediate binding, as Debian's packages are. The
# packaged builds use it (release-go, release-engines); others need not:
# -buildmode=pie builds llama.cpp once more, and its C code is already
# position-independent (-fPIC) either way.
HARDEN ?=
HARDEN_FLAGS = $(if $(HARDEN),-buildmode=pie)
HARDEN_LDFLAGS = $(if $(HARDEN),-extldflags=-Wl$(,)-z$(,)relro$(,)-z$(,)now)
, := ,
build-go:
	$(GO) build -buildvcs=false $(HARDEN_FLAGS) -tags "desktop,production,$(TAGS)" -ldflags "$(STRIP) $(LDFLAGS) $(HARDEN_LDFLAGS)" -o $(BIN) .
	@echo "built $(BIN)"

## release-check: a portable x86-64-v3 (AVX2) build runs a generation under an
## emulated Haswell CPU, and the -march=native build does not (the control)
release-check: deps frontend release-go

release-go:
	$(MAKE) --no-print-directory build-go CPU_FLAGS="$(FLAGS_base_amd64)" ENGINE_VARIANT=x86-64-v3 HARDEN=1 BIN=build/bin/chapel-v3
	bash scripts/release-check.sh build/bin/chapel-v3 $(BIN)

## Engine variants. A release carries the app built for a portable baseline
## and, beside it, the same program built for newer CPU levels; at start the
## app runs the fastest one the CPU can execute as its engine worker
## (backend/variant chooses; its test checks these flags against its list).
FLAGS_base_amd64 := -march=x86-64-v3 -mtune=generic
FLAGS_avx512     := -march=x86-64-v4 -mavx512vnni -mtune=generic
FLAGS_amx        := -march=sapphirerapids -mtune=sapphirerapids
## the AMX engine's kernels on an AVX-512 CPU without AMX (no AVX512-FP16,
## which -march=sapphirerapids may emit): test-amx's CHAPEL_AMX=rows run
FLAGS_amx_rows   := -march=x86-64-v4 -mavx512vnni -mavx512bf16 -mamx-tile -mamx-int8 -mamx-bf16 -mtune=generic
FLAGS_base_arm64 := -march=armv8-a
FLAGS_dotprod    := -march=armv8.2-a+dotprod+fp16
FLAGS_i8mm       := -march=armv8.6-a+dotprod+i8mm+fp16
VARIANTS_amd64   := avx512 amx
VARIANTS_arm64   := dotprod i8mm
RELEASE_BIN      := build/bin/release

## release-engines: build/bin/release/chapel (x86-64-v3) and one engine
## binary per CPU level beside it (chapel-avx512, chapel-amx)
release-engines:
	$(MAKE) --no-print-directory build-go CPU_FLAGS="$(FLAGS_base_amd64)" ENGINE_VARIANT=x86-64-v3 HARDEN=1 BIN=$(RELEASE_BIN)/chapel
	$(foreach v,$(VARIANTS_amd64),$(MAKE) --no-print-directory build-go CPU_FLAGS="$(FLAGS_$(v))" ENGINE_VARIANT=$(v) HARDEN=1 BIN=$(RELEASE_BIN)/chapel-$(v) &&) true

## release: what a Linux x86-64 release ships
release: deps frontend release-engines
	bash scripts/release-check.sh $(RELEASE_BIN)/chapel $(RELEASE_BIN)/chapel-avx512
	$(MAKE) --no-print-directory packages

## test-arm64-base: the arm64 baseline only (what `make test` runs: each
## level compiles llama.cpp once more, minutes on two cores)
test-arm64-base:
	$(MAKE) --no-print-directory test-arm64 ARM64_LEVELS=1

## test-amx: the engine built at the AMX level links on any machine (the
## link failed before ggml's AMX kernels were compiled in), and runs its
## tests where the CPU has AMX, with the check that AMX's wider rule for
## feed-forward weights computes what the AVX-512 kernels do. Elsewhere, on
## an AVX-512 CPU with VNNI and BF16, the AMX engine's one-row path for a
## reply's steps runs without tiles (CHAPEL_AMX=rows, TestAMXRows)
test-amx:
	CGO_CFLAGS="-O3 $(FLAGS_amx)" CGO_CXXFLAGS="-O3 $(FLAGS_amx)" $(GO) test -c -tags "$(TAGS)" -o build/bin/engine-amx.test ./backend/engine/
	@nm build/bin/engine-amx.test | grep -q ggml_backend_amx_buffer_type && echo "PASS: the AMX engine links, with ggml's AMX kernels"
	CGO_CFLAGS="-O3 $(FLAGS_amx)" CGO_CXXFLAGS="-O3 $(FLAGS_amx)" $(GO) test -c -tags "$(TAGS)" -o build/bin/llama-amx.test ./backend/llama/
	@if grep -q amx_int8 /proc/cpuinfo; then build/bin/engine-amx.test -test.count=1 -test.run 'TestTinyModelGenerates|TestQuantizedKeys|TestCountTokens' && echo "PASS: the AMX engine generates on this AMX CPU" && \
	  build/bin/llama-amx.test -test.count=1 -test.run "TestAMXWideRows|TestAMXDriver|TestAMXRows" -test.v && echo "PASS: AMX's feed-forward weights give the AVX-512 kernels' logits, and Chapel's AMX driver ggml's" && \
	  CHAPEL_AMX=rows build/bin/llama-amx.test -test.count=1 -test.run TestAMXRows -test.v; \
	elif grep -q avx512_bf16 /proc/cpuinfo && grep -q avx512_vnni /proc/cpuinfo; then echo "this CPU has no AMX: the AMX engine was linked; its one-row kernels run without tiles" && \
	  CGO_CFLAGS="-O3 $(FLAGS_amx_rows)" CGO_CXXFLAGS="-O3 $(FLAGS_amx_rows)" $(GO) test -c -tags "$(TAGS)" -o build/bin/llama-amx-rows.test ./backend/llama/ && \
	  CHAPEL_AMX=rows build/bin/llama-amx-rows.test -test.count=1 -test.run TestAMXRows -test.v && echo "PASS: the AMX engine's one-row path gives ggml's logits bit for bit"; \
	else echo "this CPU has no AMX: the AMX engine was linked, not run"; fi

## vet-darwin: every package type-checked for macOS (darwin/arm64) by go vet,
## the macOS-only files included; cgo reads C declarations with the arm64
## cross compiler (what a Mac would build cannot be built here)
vet-darwin: deps-go deps-arm64
	bash scripts/vet-darwin.sh

## test-arm64: the engine cross-compiled for linux/arm64 at each arm64 level
## (aarch64-linux-gnu-gcc), its tests run under qemu-aarch64. The window
## needs arm64 GTK and WebKit libraries to link, which a cross build here
## lacks, so the engine's test binary stands for the app.
ARM64_CC := aarch64-linux-gnu-gcc
deps-arm64:
	@command -v $(ARM64_CC) >/dev/null || { echo "installing the arm64 cross compiler"; $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-aarch64-linux-gnu g++-aarch64-linux-gnu; }

test-arm64: deps-arm64
	bash scripts/arm64-check.sh "$(FLAGS_base_arm64)" "$(FLAGS_dotprod)" "$(FLAGS_i8mm)"

## run: build and open the Chapel window (starts Xvfb when there is no display)
run: build
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "no display: starting Xvfb on :99"; \
	  (Xvfb :99 -screen 0 1280x900x24 >/dev/null 2>&1 &); sleep 1; export DISPLAY=:99; \
	  exec ./$(BIN); \
	else exec ./$(BIN); fi

## dev-binary: the dev-tag binary that serves the UI to a browser (end-to-end tests)
dev-binary: deps frontend dev-go

dev-go:
	$(GO) build -tags "dev,$(TAGS)" -ldflags "$(LDFLAGS)" -o build/bin/chapel-dev .

## test: the whole suite — Go, frontend unit tests, real window, real browser,
## portable build. Dependencies and the frontend are prepared once, up front;
## the steps after them (the *-go targets) only compile and run.
test:
	@MAKE="$(MAKE)" bash scripts/steps.sh deps deps-lint frontend lint vet-darwin test-go test-race test-frontend build-go dev-go test-e2e \
	  OFFLINE_BROWSER=0 test-offline release-go test-amx test-arm64-base test-packages

## go-test: one package's tests with the project's cgo flags (the shared
## build cache), e.g. `make go-test PKG=./backend/store/... ARGS='-run X -v'`
go-test:
	$(GO) test -tags "$(TAGS)" -count=1 $(ARGS) $(PKG)

test-go:
	$(GO) vet -tags "$(TAGS)" ./...
	$(GO) test -tags "$(TAGS)" -count=1 -timeout 20m ./...

## lint: gofmt and staticcheck over the Go code; eslint (and the format check) over the
## frontend (`go vet` runs in test-go, svelte-check in test-frontend)
lint: deps-lint deps-frontend
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$unformatted" ] || { echo "gofmt would change: $$unformatted (run gofmt -w on them)"; exit 1; }
	staticcheck -tags "$(TAGS)" ./...
	cd frontend && npm run lint

## test-race: the race detector over the pure-Go packages: those that do not
## link llama.cpp (under -race it would compile into a cache of its own)
LLAMA_PKG := github.com/chapelapp/chapel/backend/llama
RACE_PKGS  = $(shell $(GO) list -tags "$(TAGS)" -f '{{$$l := eq .ImportPath "$(LLAMA_PKG)"}}{{range .Deps}}{{if eq . "$(LLAMA_PKG)"}}{{$$l = true}}{{end}}{{end}}{{if not $$l}}{{.ImportPath}}{{end}}' ./...)
test-race:
	$(GO) test -race -tags "$(TAGS)" -count=1 -timeout 20m $(RACE_PKGS)

test-frontend: deps-frontend
	cd frontend && npm run check && npm test

## test-e2e runs inside a network namespace with only a loopback where it
## can (root or user namespaces, and `ip`): the window and browser suite
## then also prove they need no network. make test passes OFFLINE_BROWSER=0
## to test-offline, so the suite runs once.
test-e2e:
	@if command -v ip >/dev/null && unshare -n true 2>/dev/null; then \
	  echo "e2e: inside a network namespace with only a loopback (unshare -n)"; \
	  unshare -n sh -c 'ip link set lo up && exec bash scripts/e2e.sh'; \
	else bash scripts/e2e.sh; fi

## screenshots: the README's pictures, taken from the browser suite's last
## run (build/e2e, or E2E_OUT) and scaled down; `make test-e2e` first
SHOTS := browser-versions browser-search browser-summary-live browser-passage-book browser-engines-summary-split browser-dark browser-instructions browser-narrow-drawer
screenshots:
	@mkdir -p frontend/e2e/screenshots
	@for s in $(SHOTS); do convert "$${E2E_OUT:-build/e2e}/$$s.png" -resize 960x -strip -colors 256 "frontend/e2e/screenshots/$$s.png" || exit 1; done
	@du -ch frontend/e2e/screenshots/*.png | tail -1

## test-offline: the offline promise on the real binaries: chat, summary and the
## browser suite inside `unshare -n`; strace shows no AF_INET/AF_INET6 socket
test-offline:
	bash scripts/offline-check.sh

## bench: engine vs peer on the same model and threads, with the memory roofline
bench: build
	bash scripts/bench.sh

clean:
	rm -rf build/bin frontend/dist
