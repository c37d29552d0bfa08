package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/cpu"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/worker"
)

// workerArg is the hidden subcommand that runs the engine's worker process.
const workerArg = "__engine-worker"

// avx512Suffix names the engine binary a release ships beside the app for
// CPUs with AVX-512 and VNNI: the app itself is built for x86-64-v3 (any CPU
// with AVX2) and loses about a third of its prompt speed on such machines.
const avx512Suffix = "-avx512"

// workerCommand starts the engine's worker: the AVX-512 build beside this
// binary when the CPU has AVX-512 and it exists, else this binary.
// CHAPEL_ENGINE_BINARY names another binary (tests, benchmarks).
func workerCommand() *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(workerBinary(exe, os.Getenv("CHAPEL_ENGINE_BINARY"), hasAVX512(), fileExists), workerArg)
}

// workerBinary chooses the worker's executable.
func workerBinary(exe, override string, avx512 bool, exists func(string) bool) string {
	if override != "" {
		return override
	}
	if avx512 {
		ext := filepath.Ext(exe) // .exe on Windows
		if alt := strings.TrimSuffix(exe, ext) + avx512Suffix + ext; exists(alt) {
			return alt
		}
	}
	return exe
}

// hasAVX512 reports the AVX-512 subsets the AVX-512 build uses: those of
// x86-64-v4 and VNNI (int8 dot products; without it v4 gains little).
func hasAVX512() bool {
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// cmdEngineWorker is the engine's worker process: it serves the engine
// protocol on stdin and stdout until stdin closes (the app quit or died), a
// close request comes or SIGTERM arrives. Nothing else may write to stdout;
// logs go to stderr, which the app passes to its log.
func cmdEngineWorker(args []string) int {
	if len(args) != 0 {
		return usageError(fmt.Errorf("%s takes no arguments", workerArg))
	}
	// Ctrl+C in a terminal reaches the whole process group: the app decides
	// what to stop (it cancels the reply, and the reply is kept).
	signal.Ignore(os.Interrupt)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	out, err := worker.ProtocolOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "chapel engine worker: %v\n", err)
		return 1
	}
	err = worker.Serve(ctx, os.Stdin, out, engine.NewLocal())
	switch {
	case ctx.Err() != nil:
		return 128 + int(syscall.SIGTERM)
	case err != nil:
		fmt.Fprintf(os.Stderr, "chapel engine worker: %v\n", err)
		return 1
	}
	return 0
}
