package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/chapelapp/chapel/backend/bench"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/paths"
)

// listFlag collects a flag given several times (or comma-separated).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// cmdBench measures the engine on real or synthetic models.
func cmdBench(args []string) int {
	guardTemplates() // its engines run in this process
	fl := flag.NewFlagSet("bench", flag.ContinueOnError)
	var modelPaths, synthetic listFlag
	fl.Var(&modelPaths, "model", "")
	fl.Var(&synthetic, "synthetic", "")
	home := fl.String("home", "", "")
	threads := fl.Int("threads", 0, "")
	pp := fl.Int("pp", 512, "")
	tg := fl.Int("tg", 128, "")
	reps := fl.Int("reps", 3, "")
	parallel := fl.Int("parallel", 0, "")
	history := fl.Int("history", 0, "")
	asJSON := fl.Bool("json", false, "")
	bandwidth := fl.Bool("bandwidth", false, "")
	fixed := fl.Bool("fixed-threads", false, "")
	underLoad := fl.Bool("under-load", false, "")
	summaryDoc := fl.String("summary", "", "")
	pieces := fl.Int("pieces", 8, "")
	var serveCounts listFlag
	fl.Var(&serveCounts, "serve", "")
	if _, err := parseInterleaved(fl, args); err != nil {
		return usageError(err)
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	if *threads <= 0 {
		*threads = engine.DefaultThreads()
	}
	if *bandwidth {
		gbps := bench.MemoryBandwidth(*threads, 1<<30, 5)
		return printBench(*asJSON, map[string]any{"read_gbps": gbps, "threads": *threads},
			fmt.Sprintf("memory read bandwidth: %.1f GB/s with %d threads", gbps, *threads))
	}
	if len(modelPaths) == 0 && len(synthetic) == 0 {
		return usageError(fmt.Errorf("bench needs --model PATH or --synthetic NAME (e.g. 1b-q4_0)"))
	}
	if *pp <= 0 || *tg <= 0 || *reps <= 0 {
		return usageError(fmt.Errorf("--pp, --tg and --reps must be positive"))
	}
	counts, err := parseServeCounts(serveCounts)
	if err != nil {
		return usageError(err)
	}
	if len(counts) > 0 && (*summaryDoc == "" || *underLoad) {
		return usageError(fmt.Errorf("--serve goes with --summary FILE (and not --under-load)"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(synthetic) > 0 {
		dir, err := paths.CacheDir()
		if err != nil {
			return fail(err)
		}
		for _, name := range synthetic {
			if !*asJSON {
				fmt.Fprintf(os.Stderr, "preparing synthetic model %s in %s…\n", termLine(name), termLine(dir))
			}
			p, err := bench.Synthetic(ctx, dir, name, *threads)
			if err != nil {
				return fail(err)
			}
			modelPaths = append(modelPaths, p)
		}
	}
	eng := engine.NewLocal()
	defer eng.Close()
	lo := loadBench{threads: *threads, pp: *pp, tg: *tg, reps: *reps, pieces: *pieces, doc: *summaryDoc, asJSON: *asJSON}
	switch {
	case len(counts) > 0:
		return lo.serveEngines(ctx, modelPaths[0], counts)
	case *underLoad:
		return lo.underLoad(ctx, eng, modelPaths)
	case *summaryDoc != "":
		return lo.summaries(ctx, eng, modelPaths)
	}
	for _, p := range modelPaths {
		r, err := bench.Run(ctx, eng, p, bench.Options{Threads: *threads, FixedThreads: *fixed, PP: *pp, TG: *tg, Reps: *reps, Parallel: *parallel, History: *history})
		if err != nil {
			return fail(err)
		}
		text := fmt.Sprintf("%s (%s, %.2f GB)\n  threads %d · %s\n  prompt %d tokens: %.1f tok/s · generation %d tokens: %.1f tok/s (medians of %d)\n  time to first token %.0f ms · peak memory %.0f MB · load %.0f ms",
			r.Model, r.ModelPath, float64(r.ModelBytes)/1e9, r.Threads, r.CPUFlags, r.PP, r.PPTPS, r.TG, r.TGTPS, r.Reps, r.TTFTMS, r.RSSMB, r.LoadMS)
		if r.Kernels != "" {
			text += "\n  kernels: " + r.Kernels
		}
		if r.StartThreads > 0 {
			text += fmt.Sprintf("\n  tuned threads: started at %d, settled on %d", r.StartThreads, r.SettledThreads)
		}
		if r.Parallel > 1 {
			text += fmt.Sprintf("\n  %d parallel sequences: %.1f tok/s together, %.2f× one sequence (%.1f tok/s, run before each round; median of the rounds' ratios)",
				r.Parallel, r.ParallelTGTPS, r.ParallelGain, r.ParallelOneTPS)
		}
		if r.History > 0 {
			text += fmt.Sprintf("\n  follow-up after %d tokens of history: first token in %.0f ms vs %.0f ms for the %d new tokens alone (%.2f×; reprocessing the history took %.0f ms)",
				r.History, r.FollowUpTTFTMS, r.AloneTTFTMS, 20, r.FollowUpRatio, r.FullTTFTMS)
		}
		if code := printBench(*asJSON, r, text); code != 0 {
			return code
		}
	}
	return 0
}

func printBench(asJSON bool, v any, text string) int {
	if !asJSON {
		fmt.Println(termText(text))
		return 0
	}
	if err := json.NewEncoder(os.Stdout).Encode(v); err != nil {
		return fail(err)
	}
	return 0
}
