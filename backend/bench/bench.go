package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/llama"
)

// Options say what to measure.
type Options struct {
	Threads      int  // 0 = the engine's default
	FixedThreads bool // use Threads for every decode (no tuning, see engine.LoadOptions)
	// IgnoreMachineLoad: the tuner works from its timings alone (engine.LoadOptions)
	IgnoreMachineLoad bool
	PP                int // prompt tokens
	TG                int // generated tokens
	Reps              int
	// Parallel > 1 also times that many sequences generating together
	// (GenerateBatch), reported as total tokens per second.
	Parallel int
	// History > 0 also times a follow-up turn: a new 20-token message after
	// a History-token conversation already in the KV cache, against the
	// same 20 tokens alone.
	History int
}

// Report is one model's figures: medians over the repetitions.
type Report struct {
	Model      string `json:"model"`
	ModelPath  string `json:"model_path"`
	ModelBytes int64  `json:"model_bytes"`
	Threads    int    `json:"threads"`
	Fixed      bool   `json:"fixed_threads,omitempty"`
	// StartThreads is the thread count the tuner started the steps at
	// (ModelInfo.StartThreads) and SettledThreads the count they used at
	// the end of the last repetition; 0 with fixed threads.
	StartThreads   int     `json:"start_threads,omitempty"`
	SettledThreads int     `json:"settled_threads,omitempty"`
	PP             int     `json:"pp"`
	TG             int     `json:"tg"`
	Reps           int     `json:"reps"`
	PPTPS          float64 `json:"pp_tps"`
	TGTPS          float64 `json:"tg_tps"`
	TTFTMS         float64 `json:"ttft_ms"`
	RSSMB          float64 `json:"rss_mb"`
	LoadMS         float64 `json:"load_ms"`
	CPUFlags       string  `json:"cpu_flags"`
	Kernels        string  `json:"kernels,omitempty"` // who multiplies repacked Q4_0 weights (ModelInfo.Kernels)
	Parallel       int     `json:"parallel,omitempty"`
	// ParallelTGTPS is the generation speed of Parallel sequences together
	// (all their tokens per second).
	// ParallelOneTPS is one sequence's speed, run right before each
	// round's parallel sequences, and ParallelGain the median of the
	// rounds' ratios: on a shared machine speeds drift within minutes, so
	// the gain compares runs a moment apart, not TGTPS's from earlier.
	ParallelTGTPS  float64 `json:"parallel_tg_tps,omitempty"`
	ParallelOneTPS float64 `json:"parallel_one_tg_tps,omitempty"`
	ParallelGain   float64 `json:"parallel_gain,omitempty"`
	// ParallelRounds and FollowUpRounds are each round's ratio.
	ParallelRounds []float64 `json:"parallel_rounds,omitempty"`
	// History is the conversation length of the follow-up measurement:
	// FollowUpTTFTMS is the time to first token of 20 new tokens after it
	// (prefix reuse), AloneTTFTMS that of the 20 tokens as a whole prompt,
	// FullTTFTMS that of processing the whole history (medians of the
	// rounds), FollowUpRatio follow-up ÷ alone, the median of the rounds'
	// ratios (the target is ≤ 1.5).
	History        int       `json:"history,omitempty"`
	FollowUpTTFTMS float64   `json:"followup_ttft_ms,omitempty"`
	AloneTTFTMS    float64   `json:"alone_ttft_ms,omitempty"`
	FullTTFTMS     float64   `json:"full_ttft_ms,omitempty"`
	FollowUpRatio  float64   `json:"followup_ratio,omitempty"`
	FollowUpRounds []float64 `json:"followup_rounds,omitempty"`
}

// Run loads the model at path into eng and times prompt processing and
// generation through eng.Generate: the code path chat uses, with the chat's
// default sampler chain. Each repetition's prompt starts with a different
// token, so no repetition reuses another's KV cache.
func Run(ctx context.Context, eng engine.Engine, path string, o Options) (Report, error) {
	resetPeakRSS()
	start := time.Now()
	info, err := eng.Load(ctx, path, engine.LoadOptions{Threads: o.Threads, FixedThreads: o.FixedThreads, IgnoreMachineLoad: o.IgnoreMachineLoad, ContextSize: max(4096, o.PP+o.TG+16, o.History+followUpTokens+16)})
	if err != nil {
		return Report{}, err
	}
	r := Report{
		Model: info.Name, ModelPath: info.Path, ModelBytes: info.SizeBytes, Threads: o.Threads, Fixed: o.FixedThreads,
		PP: o.PP, TG: o.TG, Reps: o.Reps, LoadMS: ms(time.Since(start)), CPUFlags: CPUFlags(), Kernels: info.Kernels,
	}
	if r.Threads == 0 {
		r.Threads = engine.DefaultThreads()
	}
	tuned := !o.FixedThreads && r.Threads > 1
	if tuned {
		r.StartThreads = info.StartThreads
		if r.StartThreads == 0 {
			r.StartThreads = r.Threads
		}
	}
	vocab := info.VocabSize
	var pps, tgs, ttfts []float64
	for rep := 0; rep < o.Reps; rep++ {
		req := engine.Request{Tokens: prompt(o.PP, vocab, rep), MaxTokens: o.TG, IgnoreEOS: true, Sampling: engine.DefaultSampling()}
		req.Sampling.Seed = uint32(rep + 1)
		res, err := generate(ctx, eng, req)
		if err != nil {
			return r, err
		}
		if res.CompletionTokens != o.TG {
			return r, fmt.Errorf("generated %d tokens, want %d (%s)", res.CompletionTokens, o.TG, res.StopReason)
		}
		pps, tgs, ttfts = append(pps, res.PromptTPS), append(tgs, res.TokensPerSecond), append(ttfts, res.TimeToFirstMS)
		if tuned {
			r.SettledThreads = res.Threads
		}
	}
	r.PPTPS, r.TGTPS, r.TTFTMS = median(pps), median(tgs), median(ttfts)
	r.RSSMB = peakRSSMB()
	if o.History > 0 {
		if err := followUp(ctx, eng, vocab, o, &r); err != nil {
			return r, err
		}
	}
	if o.Parallel > 1 {
		if err := parallel(ctx, eng, vocab, o, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// parallel times o.Parallel sequences generating together, each round
// right after one sequence alone with the same prompt length.
func parallel(ctx context.Context, eng engine.Engine, vocab int, o Options, r *Report) error {
	var ones, totals []float64
	for rep := 0; rep < o.Reps; rep++ {
		reqs := make([]engine.Request, o.Parallel)
		for i := range reqs {
			reqs[i] = engine.Request{Tokens: prompt(o.PP/o.Parallel, vocab, rep*o.Parallel+i+o.Reps), MaxTokens: o.TG, IgnoreEOS: true, Sampling: engine.DefaultSampling()}
		}
		one := reqs[0]
		one.Tokens = prompt(o.PP/o.Parallel, vocab, 1000+rep)
		res, err := generate(ctx, eng, one)
		if err != nil {
			return err
		}
		ones = append(ones, res.TokensPerSecond)
		batch, err := eng.GenerateBatch(ctx, reqs, func(int, string) {})
		if err != nil {
			return err
		}
		total := 0.0
		for _, x := range batch {
			total += x.TokensPerSecond
		}
		totals = append(totals, total)
	}
	r.Parallel, r.ParallelTGTPS, r.ParallelOneTPS = o.Parallel, median(totals), median(ones)
	r.ParallelRounds = ratios(totals, ones)
	r.ParallelGain = median(r.ParallelRounds)
	return nil
}

// generate runs req with its text thrown away; a run cut short by ctx is
// ctx's error.
func generate(ctx context.Context, eng engine.Engine, req engine.Request) (engine.Result, error) {
	res, err := eng.Generate(ctx, req, func(string) {})
	if err == nil && res.StopReason == engine.StopCanceled {
		err = ctx.Err()
	}
	return res, err
}

// followUpTokens is the length of the new message in the follow-up measurement.
const followUpTokens = 20

// followUp times a new message after a long conversation: the history is
// processed once (as a chat's earlier turns were), then the history plus 20
// new tokens is sent, which must reuse the cached history; then the 20
// tokens alone, from an empty cache, for comparison.
func followUp(ctx context.Context, eng engine.Engine, vocab int, o Options, r *Report) error {
	var full, follow, alone []float64
	gen := func(toks []int32) (engine.Result, error) {
		return generate(ctx, eng, engine.Request{Tokens: toks, MaxTokens: 1, IgnoreEOS: true, Sampling: engine.DefaultSampling()})
	}
	for rep := 0; rep < o.Reps; rep++ {
		history := prompt(o.History, vocab, 100+rep)
		res, err := gen(history)
		if err != nil {
			return err
		}
		full = append(full, res.TimeToFirstMS)
		res, err = gen(append(history, prompt(followUpTokens, vocab, 200+rep)...))
		if err != nil {
			return err
		}
		if res.CachedTokens < o.History-1 {
			return fmt.Errorf("the follow-up reused %d of %d history tokens", res.CachedTokens, o.History)
		}
		follow = append(follow, res.TimeToFirstMS)
		res, err = gen(prompt(followUpTokens, vocab, 300+rep))
		if err != nil {
			return err
		}
		alone = append(alone, res.TimeToFirstMS)
	}
	r.History, r.FullTTFTMS, r.FollowUpTTFTMS, r.AloneTTFTMS = o.History, median(full), median(follow), median(alone)
	r.FollowUpRounds = ratios(follow, alone)
	r.FollowUpRatio = median(r.FollowUpRounds)
	return nil
}

// prompt is n token ids cycling through the vocabulary above the control
// tokens, starting at a different token for each repetition.
func prompt(n, vocab, rep int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(3 + (i+rep*7)%(vocab-3))
	}
	return out
}

// PairedRatio is the median of a[i] ÷ b[i], rounds measured a moment
// apart: on a shared machine speeds drift by a third within minutes, which
// the ratio of two medians taken minutes apart would carry. A round without
// its pair, or whose b is not positive, is left out; 0 for none.
func PairedRatio(a, b []float64) float64 { return median(ratios(a, b)) }

// ratios is a[i] ÷ b[i] for the rounds PairedRatio takes.
func ratios(a, b []float64) []float64 {
	var out []float64
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// Median is the middle value of xs, the mean of the two middle ones for an
// even count (as make bench's table computes it); 0 for none.
func Median(xs []float64) float64 { return median(xs) }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// CPUFlags is the build's CPU feature summary from llama.cpp ("AVX2 = 1 | …"),
// keeping only the features that are on.
func CPUFlags() string {
	var on []string
	for _, part := range strings.Split(llama.SystemInfo(), "|") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		// The first feature comes after the backend's name: "CPU : SSE3 = 1".
		if i := strings.LastIndex(k, ":"); i >= 0 {
			k = k[i+1:]
		}
		if ok && strings.TrimSpace(v) == "1" {
			on = append(on, strings.TrimSpace(k))
		}
	}
	return strings.Join(on, " ")
}

// resetPeakRSS resets the kernel's peak resident size of this process
// (Linux), so the figure covers the benchmark only.
func resetPeakRSS() {
	if runtime.GOOS == "linux" {
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	}
}

// peakRSSMB is this process's peak resident size in MB (Linux; 0 elsewhere).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
