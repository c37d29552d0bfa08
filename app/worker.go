package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/chapelapp/chapel/backend/chattmpl"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/worker"
	"github.com/chapelapp/chapel/backend/variant"
)

// workerArg is the hidden subcommand that runs the engine's worker process.
const workerArg = "__engine-worker"

// templateMemory is how much the heap may grow while a chat template
// renders in the worker (real templates take kilobytes), and
// exitTemplateRunaway the worker's exit status when one grew past it.
const (
	templateMemory      = 512 << 20
	exitTemplateRunaway = 3
)

// workerCommand starts the engine's worker: the fastest engine build
// beside this binary that the CPU can run (backend/variant decides: an
// AVX-512 or AMX build on x86-64, a dot-product or I8MM build on arm64),
// else this binary. CHAPEL_ENGINE_BINARY names another binary (tests,
// benchmarks).
func workerCommand() *exec.Cmd {
	return exec.Command(variant.Current().Path, workerArg)
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
	// A model file's chat template runs here; one that runs away with
	// memory ends this process with the reason, which the app reports
	// ("the engine stopped: … fatal: …") and survives.
	guardTemplates()
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

// guardTemplates ends this process with a one-line reason (exit status 3)
// when a chat template's render grows the heap past templateMemory: in the
// engine worker, whose end the app reports, and in the command-line tools
// that render templates themselves (chapel prompt, chapel bench). The
// window's own process never calls it: it renders no templates.
func guardTemplates() {
	chattmpl.SetRenderGuard(templateMemory, func(grew uint64) {
		fmt.Fprintf(os.Stderr, "fatal: the model's chat template took over %d MB of memory (%d MB) to lay out the conversation; "+
			"the model file's template is faulty or hostile\n", templateMemory>>20, grew>>20)
		os.Exit(exitTemplateRunaway)
	})
}
