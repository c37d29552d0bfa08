# Packaging: what `make release` leaves in build/release/ besides the Linux
# engine builds, and the check that `make test` runs on the packages.
# Included by the Makefile, which sets the cgo environment; this file only
# adds the Windows cross-compiler on top of it and calls the package scripts.

RELEASE_DIR   := build/release
NFPM_VER      := v2.44.1
# Windows: mingw-w64 with POSIX threads (ggml uses std::thread, which the
# win32 threading variant lacks).
WIN_CC        := x86_64-w64-mingw32-gcc-posix
WIN_CXX       := x86_64-w64-mingw32-g++-posix
WIN_BIN_DIR   := build/bin/windows
# -H windowsgui: no console window opens with the app or its engine worker;
# the CLI attaches to the console it was started from (app/console_windows.go).
# -static: libstdc++, libgcc and winpthread linked in, so chapel.exe needs no DLLs.
WIN_LDFLAGS   := -w -s -H windowsgui -extldflags=-static $(LDFLAGS)
WIN_TAGS      := desktop,production,sqlite_fts5

.PHONY: deps-nfpm deps-packages build-windows build-windows-variants test-windows-amx test-windows-repack test-windows-repack-avx512 build-windows-exe package-linux package-windows package-macos packages test-packages

# nfpm builds the .deb (newer versions than this fail to fetch a dependency).
deps-nfpm:
	@[ -x "$(GOPATH)/bin/nfpm" ] || { echo "installing nfpm $(NFPM_VER)"; $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VER); }

deps-packages: deps-system deps-nfpm

## build-windows: chapel.exe for x86-64-v3 (any CPU with AVX2), cross-compiled
## with mingw-w64. The first build compiles llama.cpp with mingw (minutes);
## later ones reuse the Go build cache.
build-windows:
	$(MAKE) --no-print-directory build-windows-exe WIN_CPU_FLAGS="$(FLAGS_base_amd64)" ENGINE_VARIANT=x86-64-v3 WIN_EXE=$(WIN_BIN_DIR)/chapel.exe

## build-windows-variants: the Windows engines for newer CPUs, beside chapel.exe:
## chapel-avx512.exe (AVX-512 + VNNI) and chapel-amx.exe (AMX), one per
## VARIANTS_amd64 with the Makefile's FLAGS_<variant> (backend/variant picks
## one at start on CPUs that have it; ENGINE_VARIANT tells each binary what
## it is, without which chapel.exe runs only itself). Each compiles llama.cpp
## with mingw once more (minutes), so `make release` builds them, `make test`
## does not.
build-windows-variants:
	$(foreach v,$(VARIANTS_amd64),$(MAKE) --no-print-directory build-windows-exe WIN_CPU_FLAGS="$(FLAGS_$(v))" ENGINE_VARIANT=$(v) WIN_EXE=$(WIN_BIN_DIR)/chapel-$(v).exe &&) true

# win_llama_test(FLAGS,NAME): the llama package's tests built for Windows
# with mingw at one CPU level, as $(WIN_BIN_DIR)/llama-NAME.test.exe; it
# reuses the llama.cpp build of the Windows engine at that level.
win_llama_test = mkdir -p $(WIN_BIN_DIR) && GOOS=windows GOARCH=amd64 CC=$(WIN_CC) CXX=$(WIN_CXX) \
	CGO_CFLAGS="-O3 $(1)" CGO_CXXFLAGS="-O3 $(1)" \
	$(GO) test -c -tags "$(WIN_TAGS)" -o $(WIN_BIN_DIR)/llama-$(2).test.exe ./backend/llama/

## test-windows-amx: the llama package's AMX tests built for Windows at the
## AMX level and run under Wine, where this CPU has AMX (make release runs
## it after chapel-amx.exe, whose llama.cpp build it reuses): AMX's tile
## kernels run in a Windows program under Wine and give the AVX-512 kernels'
## logits (see backend/llama/amx_wine_windows.c).
test-windows-amx:
	$(call win_llama_test,$(FLAGS_amx),amx)
	bash scripts/wine-amx-check.sh $(WIN_BIN_DIR)/llama-amx.test.exe

## test-windows-repack: the llama package's tests of Chapel's kernels
## (repack_q4.cpp, and the AVX2 K-quant kernels of repack_q4k.cpp and
## q6k_gemm.cpp, and the key product of attn_rows.cpp, which the linker's
## --wrap puts in front of ggml's) built
## for Windows at the baseline level and run under Wine: the mingw link
## routes ggml's calls there and the result is ggml's bit for bit. Part of
## test-packages, after build-windows, whose llama.cpp build it reuses.
test-windows-repack:
	$(call win_llama_test,$(FLAGS_base_amd64),v3)
	bash scripts/wine-go-test.sh $(WIN_BIN_DIR)/llama-v3.test.exe 'TestRepackKernels|TestCompareRepack|TestCompareKQuants|TestKQuantKernels|TestMeasureKQuants|TestKQRows|TestKQProducts|TestKQVRows|TestSoftmaxRows'

## test-windows-repack-avx512: the same at the avx512 engine's level, whose
## repack kernels take the AVX512-VNNI path and which carries the Q4_K
## and Q6_K kernels (repack_q4k.cpp, q6k_gemm.cpp), where this CPU has AVX512-VNNI
## (make release runs it after chapel-avx512.exe, whose llama.cpp build it
## reuses); elsewhere it says why it did not run.
test-windows-repack-avx512:
	@if ! grep -qw avx512_vnni /proc/cpuinfo || ! grep -qw avx512bw /proc/cpuinfo; then \
	  echo "test-windows-repack-avx512: not run, this CPU lacks AVX512-VNNI"; exit 0; fi; \
	$(call win_llama_test,$(FLAGS_avx512),avx512) && \
	bash scripts/wine-go-test.sh $(WIN_BIN_DIR)/llama-avx512.test.exe 'TestRepackKernels|TestCompareRepack|TestMeasureRepack|TestCompareKQuants|TestKQuantKernels|TestMeasureKQuants|TestKQRows|TestKQProducts|TestKQVRows|TestSoftmaxRows'

# One Windows build: the resources (icon, manifest, version) are compiled
# into a .syso that go build links into windows/amd64 binaries only.
build-windows-exe:
	@mkdir -p $(WIN_BIN_DIR)
	bash scripts/windows-resources.sh $(VERSION) rsrc_windows_amd64.syso
	GOOS=windows GOARCH=amd64 CC=$(WIN_CC) CXX=$(WIN_CXX) \
	CGO_CFLAGS="-O3 $(WIN_CPU_FLAGS)" CGO_CXXFLAGS="-O3 $(WIN_CPU_FLAGS)" \
	  $(GO) build -buildvcs=false -tags "$(WIN_TAGS)" -ldflags "$(WIN_LDFLAGS)" -o $(WIN_EXE) . ; \
	  rc=$$?; rm -f rsrc_windows_amd64.syso; exit $$rc
	@echo "built $(WIN_EXE)"

## package-linux: the .deb and .tar.gz in build/release/ from the release's
## Linux binaries (build/bin/release: chapel and its chapel-<variant> engines)
LINUX_BIN_DIR := build/bin/release
package-linux: deps-packages
	bash scripts/package-linux.sh $(RELEASE_DIR) $(VERSION) $(LINUX_BIN_DIR)/chapel $$(ls $(LINUX_BIN_DIR)/chapel-* 2>/dev/null | grep -v '\.exe$$')

## package-windows: chapel.exe (and its variants), the NSIS installer and the .zip
package-windows: deps-packages build-windows build-windows-variants
	bash scripts/package-windows.sh $(RELEASE_DIR) $(VERSION) $(WIN_BIN_DIR)/chapel.exe $$(ls $(WIN_BIN_DIR)/chapel-*.exe 2>/dev/null)

## packages: every package of the release, then two checks under Wine that
## reuse the Windows engines' builds: the AMX engine's (test-windows-amx) and
## the avx512 engine's repack kernels (test-windows-repack-avx512)
packages: package-linux package-windows test-windows-amx test-windows-repack-avx512

## test-packages: build the packages from the portable x86-64-v3 build that
## release-go makes (build/bin/chapel-v3) and the Windows baseline, install
## and use them (scripts/test-packages.sh). Part of `make test`.
## TEST_WIN_VARIANTS: Windows engine builds to package and check too (after
## make build-windows-variants), e.g. "$(WIN_BIN_DIR)/chapel-avx512.exe $(WIN_BIN_DIR)/chapel-amx.exe"
TEST_WIN_VARIANTS ?=
test-packages: deps-packages build-windows
	$(MAKE) --no-print-directory test-windows-repack
	VERSION=$(VERSION) bash scripts/test-packages.sh build/bin/chapel-v3 $(WIN_BIN_DIR)/chapel.exe $(TEST_WIN_VARIANTS)

## package-macos: Chapel.app (arm64, Metal) and a .dmg; on a Mac only (the
## release workflow's macOS job). Not run yet: no Mac here.
MAC_BIN := build/bin/darwin/chapel
package-macos: deps-go frontend
	@mkdir -p $(dir $(MAC_BIN))
	GOOS=darwin GOARCH=arm64 CGO_CFLAGS="-O3 -mcpu=apple-m1 -mmacosx-version-min=11.0" \
	CGO_CXXFLAGS="-O3 -mcpu=apple-m1 -mmacosx-version-min=11.0" \
	CGO_LDFLAGS="-framework UniformTypeIdentifiers -mmacosx-version-min=11.0" \
	  $(GO) build -buildvcs=false -tags "desktop,production,sqlite_fts5" -ldflags "-w -s $(LDFLAGS)" -o $(MAC_BIN) .
	bash scripts/package-macos.sh $(RELEASE_DIR) $(VERSION) $(MAC_BIN)
