package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/bench"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
)

// busyArg is the hidden subcommand `chapel bench --under-load` starts to
// keep one core busy, as another program on the machine would.
const busyArg = "__busy"

// cmdBusy spins one core until its standard input closes.
func cmdBusy() int {
	runtime.GOMAXPROCS(1)
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
	x := uint64(1)
	for {
		for range 1 << 20 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		select {
		case <-done:
			if x == 0 { // keeps the loop from being optimised away
				fmt.Println(x)
			}
			return 0
		default:
		}
	}
}

// startBusy starts the busy process; stop ends it.
func startBusy() (stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, busyArg)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the busy process: %w", err)
	}
	time.Sleep(200 * time.Millisecond) // let it reach its core
	return func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}, nil
}

// loadBench holds the flags of `chapel bench --under-load` and `--summary`.
type loadBench struct {
	threads, pp, tg, reps, pieces int
	doc                           string
	asJSON                        bool
}

// loadRow is one configuration measured idle and with one core busy.
type loadRow struct {
	Config   string  `json:"config"`
	Threads  int     `json:"threads"`
	Fixed    bool    `json:"fixed_threads"`
	IdleTPS  float64 `json:"idle_tps"`
	LoadTPS  float64 `json:"loaded_tps"`
	Retained float64 `json:"retained"` // loaded ÷ idle
	// For the tuned default: the thread count each run's steps started at
	// (what the load before settled on, else the ceiling) and ended on.
	IdleStart   int `json:"idle_start_threads,omitempty"`
	IdleSettled int `json:"idle_settled_threads,omitempty"`
	LoadStart   int `json:"loaded_start_threads,omitempty"`
	LoadSettled int `json:"loaded_settled_threads,omitempty"`
	// Every round's speed, in the order run.
	IdleRuns []float64 `json:"idle_runs"`
	LoadRuns []float64 `json:"loaded_runs"`
}

// underLoad measures generation (and, with --summary, a summary's prompt
// rate) idle and while another process keeps one core busy: the default
// (tuned) thread count, one thread, and all threads fixed, as the engine
// ran before it tuned itself.
//
// The configurations take turns: each round runs every one once, idle
// rounds first, then loaded rounds with the busy process running, and the
// default is compared with one thread round by round (the median of the
// rounds' ratios). A shared machine's speed drifts over minutes; measured
// one configuration after the other, stories260K's default and one thread
// (the same single thread) read 0.65-0.91x apart where alternating runs
// read 0.92-1.13x, median 1.00x.
func (lb loadBench) underLoad(ctx context.Context, eng engine.Engine, modelPaths []string) int {
	configs := []struct {
		name    string
		threads int
		fixed   bool
	}{
		{"default (tuned)", lb.threads, false},
		{"1 thread", 1, true},
		{fmt.Sprintf("%d threads, fixed", lb.threads), lb.threads, true},
	}
	for _, path := range modelPaths {
		// runs[config][idle, loaded][round]
		runs := make([][2][]bench.Report, len(configs))
		for phase, loaded := range []bool{false, true} {
			stop := func() {}
			if loaded {
				var err error
				if stop, err = startBusy(); err != nil {
					return fail(err)
				}
			}
			for range max(1, lb.reps) {
				for i, c := range configs {
					r, err := bench.Run(ctx, eng, path, bench.Options{Threads: c.threads, FixedThreads: c.fixed, PP: min(lb.pp, 64), TG: lb.tg, Reps: 1})
					if err != nil {
						stop()
						return fail(err)
					}
					runs[i][phase] = append(runs[i][phase], r)
				}
			}
			stop()
		}
		var rows []loadRow
		for i, c := range configs {
			idle, load := runs[i][0], runs[i][1]
			row := loadRow{Config: c.name, Threads: c.threads, Fixed: c.fixed,
				IdleTPS: bench.Median(tgRates(idle)), LoadTPS: bench.Median(tgRates(load)),
				IdleRuns: tgRates(idle), LoadRuns: tgRates(load),
				IdleStart: idle[0].StartThreads, IdleSettled: idle[len(idle)-1].SettledThreads,
				LoadStart: load[0].StartThreads, LoadSettled: load[len(load)-1].SettledThreads}
			if row.IdleTPS > 0 {
				row.Retained = row.LoadTPS / row.IdleTPS
			}
			rows = append(rows, row)
		}
		report := map[string]any{"model": filepath.Base(path), "tg": lb.tg, "reps": lb.reps, "rows": rows}
		text := fmt.Sprintf("%s: generation of %d tokens, idle and with one core kept busy by another process (medians of %d)\n", filepath.Base(path), lb.tg, lb.reps)
		for _, r := range rows {
			text += fmt.Sprintf("  %-22s idle %8.1f tok/s · loaded %8.1f tok/s · keeps %3.0f %%\n", r.Config, r.IdleTPS, r.LoadTPS, 100*r.Retained)
		}
		tuned, one := rows[0], rows[1]
		vsIdle, vsLoaded := bench.PairedRatio(tuned.IdleRuns, one.IdleRuns), bench.PairedRatio(tuned.LoadRuns, one.LoadRuns)
		text += fmt.Sprintf("  default vs 1 thread (median of the rounds' ratios): idle %.2f×, loaded %.2f×\n", vsIdle, vsLoaded)
		// Why the default is where it is: the loaded run starts where the
		// idle run's tuner settled (the engine remembers it across loads).
		text += fmt.Sprintf("  default's threads: idle started at %d, settled on %d · loaded started at %d, settled on %d",
			tuned.IdleStart, tuned.IdleSettled, tuned.LoadStart, tuned.LoadSettled)
		report["default_vs_one_idle"], report["default_vs_one_loaded"] = vsIdle, vsLoaded
		if lb.doc != "" {
			// The summary's map steps, tuned and on one thread, idle and
			// loaded: the rule for replies holds for summaries too.
			var sum [2][2]summaryReport // [tuned, one thread][idle, loaded]
			for i, threads := range []int{lb.threads, 1} {
				for j, loaded := range []bool{false, true} {
					r, err := lb.summaryRun(ctx, path, summaryCase{threads: threads, fixed: i == 1, loaded: loaded})
					if err != nil {
						return fail(err)
					}
					sum[i][j] = r
				}
			}
			tunedS, oneS := sum[0], sum[1]
			kept := tunedS[1].PipelinePPTPS / tunedS[0].PipelinePPTPS
			sIdle, sLoaded := tunedS[0].PipelinePPTPS/oneS[0].PipelinePPTPS, tunedS[1].PipelinePPTPS/oneS[1].PipelinePPTPS
			report["summary_idle"], report["summary_loaded"], report["summary_retained"] = tunedS[0], tunedS[1], kept
			report["summary_one_thread_idle"], report["summary_one_thread_loaded"] = oneS[0], oneS[1]
			report["summary_vs_one_idle"], report["summary_vs_one_loaded"] = sIdle, sLoaded
			text += fmt.Sprintf("\n  summary map steps (%s), prompt tok/s: default idle %.1f, loaded %.1f: keeps %.0f %%; "+
				"1 thread idle %.1f, loaded %.1f\n  summary default vs 1 thread: idle %.2f×, loaded %.2f×",
				filepath.Base(lb.doc), tunedS[0].PipelinePPTPS, tunedS[1].PipelinePPTPS, 100*kept,
				oneS[0].PipelinePPTPS, oneS[1].PipelinePPTPS, sIdle, sLoaded)
			leaves, err := lb.loadLeaves(ctx, path)
			if err != nil {
				return fail(err)
			}
			report["summary_load_leaves"] = leaves
			text += "\n" + leaves.text
		}
		if code := printBench(lb.asJSON, report, text); code != 0 {
			return code
		}
	}
	return 0
}

// tgRates is each run's generation speed, in the order run.
func tgRates(runs []bench.Report) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = r.TGTPS
	}
	return out
}

// summaryReport is the summary benchmark's result.
type summaryReport struct {
	Document        string  `json:"document"`
	Loaded          bool    `json:"loaded"`
	Threads         int     `json:"threads"`
	Fixed           bool    `json:"fixed_threads"`
	Pieces          int     `json:"pieces"`
	PromptTokens    int     `json:"prompt_tokens"`
	Completion      int     `json:"completion_tokens"`
	PipelinePPTPS   float64 `json:"pipeline_pp_tps"` // prompt tokens per second inside the summary pipeline
	EnginePPTPS     float64 `json:"engine_pp_tps"`   // `chapel bench`'s prompt figure, same engine and threads
	Fraction        float64 `json:"fraction"`        // pipeline ÷ engine (target ≥ 0.9)
	WallSeconds     float64 `json:"wall_seconds"`
	EngineBusy      float64 `json:"engine_busy"` // share of the wall time spent inside the engine
	MapPromptAvg    float64 `json:"map_prompt_avg_tokens"`
	ReferencePrompt int     `json:"reference_prompt_tokens"` // the engine-alone prompt length
}

// summaryRounds is the summary benchmark's result: the round whose
// pipeline ÷ engine is the median, and every round's.
type summaryRounds struct {
	summaryReport
	Rounds         int       `json:"rounds"`
	RoundFractions []float64 `json:"round_fractions"` // in the order run
}

// summaries runs the summary benchmark on each model in lb.reps rounds,
// each the pipeline and then the engine alone right after it: a shared
// machine's speed drifts over minutes, so a reference measured minutes
// after the pipeline measures another machine (make bench read 0.85 so,
// where runs alone read 0.96-1.14). The median round is reported.
func (lb loadBench) summaries(ctx context.Context, eng engine.Engine, modelPaths []string) int {
	for _, path := range modelPaths {
		var res summaryRounds
		var rounds []summaryReport
		for range max(1, lb.reps) {
			r, err := lb.summaryRun(ctx, path, summaryCase{threads: lb.threads, refReps: 1})
			if err != nil {
				return fail(err)
			}
			rounds = append(rounds, r)
			res.RoundFractions = append(res.RoundFractions, r.Fraction)
		}
		res.Rounds = len(rounds)
		slices.SortFunc(rounds, func(a, b summaryReport) int { return cmp.Compare(a.Fraction, b.Fraction) })
		res.summaryReport = rounds[len(rounds)/2]
		r := res.summaryReport
		each := make([]string, len(res.RoundFractions))
		for i, f := range res.RoundFractions {
			each[i] = fmt.Sprintf("%.2f", f)
		}
		text := fmt.Sprintf("%s: the first %d map steps of %s through the summary pipeline, %d rounds (median shown)\n"+
			"  %d prompt tokens (%.0f a step) in %.1f s of prompt processing: %.1f tok/s; the engine alone right after (%d-token prompt): %.1f tok/s\n"+
			"  pipeline ÷ engine: %.2f (target ≥ 0.9; rounds %s) · engine busy %.0f %% of %.1f s",
			filepath.Base(path), r.Pieces, r.Document, res.Rounds, r.PromptTokens, r.MapPromptAvg, float64(r.PromptTokens)/max(r.PipelinePPTPS, 1e-9),
			r.PipelinePPTPS, r.ReferencePrompt, r.EnginePPTPS, r.Fraction, strings.Join(each, ", "), 100*r.EngineBusy, r.WallSeconds)
		if code := printBench(lb.asJSON, res, text); code != 0 {
			return code
		}
	}
	return 0
}

// loadLeavesReport compares a summary during which the busy process ends
// (after the first quarter of its map steps), the engine reading the
// machine's load and the engine working from its timings alone.
type loadLeavesReport struct {
	Pieces     int           `json:"pieces"`
	LeaveAfter int           `json:"leave_after"`
	Read       summaryReport `json:"read_load"`
	Timings    summaryReport `json:"timings_alone"`
	Ratio      float64       `json:"ratio"` // read ÷ timings alone
	text       string
}

// loadLeaves runs the summary of twice lb.pieces map steps with one core
// busy until a quarter of them are done: a build that ends while a long
// document is summarised. Tuning from timings alone, the engine went to
// one thread under the load and stayed there for the rest of the run (a
// trial of two threads, after one that lost under load, is about fifty
// batches away).
func (lb loadBench) loadLeaves(ctx context.Context, path string) (loadLeavesReport, error) {
	r := loadLeavesReport{Pieces: 2 * lb.pieces, LeaveAfter: max(1, lb.pieces/2)}
	lb.pieces = r.Pieces
	for _, blind := range []bool{false, true} {
		c := summaryCase{threads: lb.threads, loaded: true, leaveAfter: r.LeaveAfter, blind: blind}
		got, err := lb.summaryRun(ctx, path, c)
		if err != nil {
			return r, err
		}
		if blind {
			r.Timings = got
		} else {
			r.Read = got
		}
	}
	r.Ratio = r.Read.PipelinePPTPS / r.Timings.PipelinePPTPS
	r.text = fmt.Sprintf("  summary while the load leaves (one core busy for %d of %d map steps), prompt tok/s: "+
		"reading the machine's load %.1f, timings alone %.1f: %.2f×",
		r.LeaveAfter, r.Pieces, r.Read.PipelinePPTPS, r.Timings.PipelinePPTPS, r.Ratio)
	return r, nil
}

// summaryCase is one configuration of the summary benchmark: the threads,
// whether they are fixed, whether another process keeps a core busy (and
// until how many map steps are done: 0, to the end), whether the tuner
// ignores the machine's load (LoadOptions.IgnoreMachineLoad), and how many
// times the reference runs.
type summaryCase struct {
	threads       int
	fixed, loaded bool
	leaveAfter    int
	blind         bool
	refReps       int // the engine-alone reference's repetitions (0: lb.reps)
}

// summaryRun adds the document to a scratch data folder and summarises it
// with the real pipeline (planning with the model's tokenizer, packing,
// parallel map steps, saving each piece) on an engine in this process,
// metered, until lb.pieces map steps are done. The engine's own prompt
// rate, for comparison, is measured after it with a prompt as long as the
// pipeline's average map prompt.
func (lb loadBench) summaryRun(ctx context.Context, modelPath string, c summaryCase) (summaryReport, error) {
	rep := summaryReport{Document: filepath.Base(lb.doc), Loaded: c.loaded, Threads: c.threads, Fixed: c.fixed}
	stopBusy := func() {}
	if c.loaded {
		// From before the document is read: the other program was running
		// when the user dropped it, as a build or a browser would be.
		stop, err := startBusy()
		if err != nil {
			return rep, err
		}
		stopBusy = sync.OnceFunc(stop)
		defer stopBusy()
	}
	st, docID, done, err := scratchDocument(ctx, lb.doc)
	if err != nil {
		return rep, err
	}
	defer done()
	eng := engine.NewLocal()
	defer eng.Close()
	if _, err := eng.Load(ctx, modelPath, engine.LoadOptions{Threads: c.threads, FixedThreads: c.fixed, IgnoreMachineLoad: c.blind}); err != nil {
		return rep, err
	}
	meter := &bench.Meter{Engine: eng}
	svc := summarize.New(st, meter, nil)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	_, err = svc.Summarize(runCtx, docID, "brief", func(p summarize.Progress) {
		if c.leaveAfter > 0 && p.PiecesDone >= c.leaveAfter {
			stopBusy()
		}
		if p.PiecesDone >= lb.pieces {
			cancel()
		}
	})
	wall := time.Since(start)
	if err != nil && runCtx.Err() == nil {
		return rep, err
	}
	if meter.Calls == 0 {
		return rep, errors.New("the summary pipeline made no engine call")
	}
	rep.Pieces, rep.PromptTokens, rep.Completion = meter.Steps, meter.PromptTokens, meter.Completion
	rep.PipelinePPTPS = meter.PromptTPS()
	rep.WallSeconds, rep.EngineBusy = wall.Seconds(), meter.EngineTime.Seconds()/wall.Seconds()
	// The reference prompt is as long as the average map step's: attention
	// costs more per token in a longer prompt, which is not waste.
	rep.MapPromptAvg = float64(meter.PromptTokens) / float64(max(1, meter.Steps))
	rep.ReferencePrompt = min(int(rep.MapPromptAvg), 4000)
	refReps := lb.reps
	if c.refReps > 0 {
		refReps = c.refReps
	}
	ref, err := bench.Run(ctx, eng, modelPath, bench.Options{Threads: c.threads, FixedThreads: c.fixed, IgnoreMachineLoad: c.blind, PP: max(64, rep.ReferencePrompt), TG: 8, Reps: refReps})
	if err != nil {
		return rep, err
	}
	rep.EnginePPTPS = ref.PPTPS
	rep.Fraction = rep.PipelinePPTPS / ref.PPTPS
	return rep, nil
}

// scratchDocument adds doc to a new data folder in the temporary
// directory and returns its store and the document's id; done removes it.
func scratchDocument(ctx context.Context, doc string) (st *store.Store, id int64, done func(), err error) {
	dir, err := os.MkdirTemp("", "chapel-bench-summary-")
	if err != nil {
		return nil, 0, nil, err
	}
	if st, err = store.Open(ctx, filepath.Join(dir, "chapel.db")); err != nil {
		os.RemoveAll(dir)
		return nil, 0, nil, err
	}
	done = func() { st.Close(); os.RemoveAll(dir) }
	out, err := ingest.New(st, filepath.Join(dir, "documents"), nil).Ingest(ctx, []string{doc}, nil)
	if err == nil && len(out.Documents) == 0 {
		err = errors.New("the document could not be read")
		if len(out.Failures) > 0 {
			err = errors.New(out.Failures[0].Error)
		}
	}
	if err != nil {
		done()
		return nil, 0, nil, err
	}
	return st, out.Documents[0].ID, done, nil
}
