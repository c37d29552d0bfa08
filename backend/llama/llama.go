// Package llama is Chapel's thin cgo binding to llama.cpp's C API (llama.h).
// It holds no policy: it loads models, makes contexts, tokenizes, decodes
// batches, samples and quantizes, and turns every C failure into a Go error.
// It is the only package in Chapel that uses cgo. Every object has an
// explicit Close; nothing relies on finalisers. Beside the binding it holds
// Chapel's CPU kernels that stand in front of ggml's (amx_kernels.cpp,
// amx_mmq.cpp, repack_q4.cpp, repack_q4k.cpp, q6k_gemm.cpp), each with a
// switch its tests compare by.
package llama

/*
#cgo CXXFLAGS: -std=c++17
#cgo CPPFLAGS: -DNDEBUG
#cgo linux CPPFLAGS: -D_GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"

// chapel_last_error keeps the last warning or error llama.cpp logged, so a
// failed load can say why. Logging to stderr is opt-in (CHAPEL_LLAMA_LOG).
static char chapel_last_error[1024];
static int chapel_log_verbose = 0;

static void chapel_log(enum ggml_log_level level, const char * text, void * ud) {
	(void)ud;
	if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
		size_t n = strlen(text);
		if (n >= sizeof(chapel_last_error)) n = sizeof(chapel_last_error) - 1;
		memcpy(chapel_last_error, text, n);
		chapel_last_error[n] = 0;
	}
	if (chapel_log_verbose) fputs(text, stderr);
}

static void chapel_log_install(int verbose) {
	chapel_log_verbose = verbose;
	llama_log_set(chapel_log, NULL);
}

static void chapel_clear_error(void) { chapel_last_error[0] = 0; }
static const char * chapel_get_error(void) { return chapel_last_error; }
*/
import "C"

import (
	"os"
	"strings"
	"sync"
)

var initOnce sync.Once

// Init initialises llama.cpp once per process and routes its log. Every
// constructor in this package calls it.
func Init() {
	initOnce.Do(func() {
		verbose := 0
		if os.Getenv("CHAPEL_LLAMA_LOG") != "" {
			verbose = 1
		}
		C.chapel_log_install(C.int(verbose))
		// CHAPEL_AMX_DRIVER=ggml runs ggml's own AMX driver, to compare
		// speeds side by side (amx_mmq.cpp); the results are the same.
		if os.Getenv("CHAPEL_AMX_DRIVER") == "ggml" {
			SetAMXDriver(false)
		}
		// CHAPEL_KQ_DRIVER=ggml, CHAPEL_KQV_DRIVER=ggml and
		// CHAPEL_SOFTMAX_DRIVER=ggml leave attention's scores over Q8_0 keys
		// (a reply step's to ggml's loop, a batch's to tinyBLAS), its
		// products with F16 caches and its softmax to ggml (attn_rows.cpp,
		// attn_f16.cpp, softmax.cpp); the results are the same.
		for _, k := range attentionSwitches {
			if os.Getenv(k.Env) == "ggml" {
				k.Set(false)
			}
		}
		// CHAPEL_AMX=off (or 0, false) leaves every weight to the AVX-512
		// kernels, ggml's repack and Chapel's AVX512-VNNI ones (Q4_0, Q4_K,
		// Q6_K), to compare with AMX on the same machine
		// (`CHAPEL_AMX=off make bench`).
		// CHAPEL_AMX=rows runs the AMX engine without tiles (AMXNoTiles).
		switch strings.ToLower(os.Getenv("CHAPEL_AMX")) {
		case "off", "0", "false":
			SetAMX(false)
		case "rows":
			setAMXNoTiles() // before llama_backend_init, which may ask for the buffer type
		}
		C.llama_backend_init()
	})
}

// lastError returns the last warning or error llama.cpp logged, trimmed.
func lastError() string {
	return strings.TrimSpace(C.GoString(C.chapel_get_error()))
}

func clearError() { C.chapel_clear_error() }

// SystemInfo reports the CPU features llama.cpp was built with and sees.
func SystemInfo() string {
	Init()
	return strings.TrimSpace(C.GoString(C.llama_print_system_info()))
}
