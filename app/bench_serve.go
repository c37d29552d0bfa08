package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chapelapp/chapel/backend/bench"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/remote"
	"github.com/chapelapp/chapel/backend/serve"
	"github.com/chapelapp/chapel/backend/summarize"
)

// serveRow is one configuration of `chapel bench --summary FILE --serve
// 1,2,3`: the map steps of a summary on N `chapel serve` processes.
type serveRow struct {
	Engines         int     `json:"engines"`
	ThreadsEach     int     `json:"threads_each"`
	Oversubscribed  bool    `json:"oversubscribed"` // more threads than the machine has cores
	Seconds         float64 `json:"map_seconds"`    // first map step sent → the pieces-th piece saved
	Pieces          int     `json:"pieces"`
	SecondsPerPiece float64 `json:"seconds_per_piece"`
	PromptTokens    int     `json:"prompt_tokens"`
	Completion      int     `json:"completion_tokens"`
	PromptTPS       float64 `json:"prompt_tps"` // prompt tokens of all engines ÷ the map phase's wall time
	GenTPS          float64 `json:"gen_tps"`    // generated tokens of all engines ÷ the same
	ByEngine        []int   `json:"pieces_by_engine"`
	Ratio           float64 `json:"ratio_vs_one"` // seconds per piece ÷ one engine's
}

// parseServeCounts reads --serve: engine counts such as "1,2,3".
func parseServeCounts(list []string) ([]int, error) {
	var out []int
	for _, s := range list {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 16 {
			return nil, fmt.Errorf("--serve takes engine counts from 1 to 16, such as 1,2,3 (got %q)", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// serveEngines runs the summary benchmark with the map steps on N `chapel
// serve` processes on loopback for each N in counts, each with its share
// of the thread budget (lb.threads ÷ N, at least one), and nothing on this
// process's own engine; it prints a table with each row's time per piece
// against one engine's.
func (lb loadBench) serveEngines(ctx context.Context, modelPath string, counts []int) int {
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	var rows []serveRow
	for _, n := range counts {
		if !lb.asJSON {
			fmt.Fprintf(os.Stderr, "bench: the map steps on %d `chapel serve` (%d threads each)…\n", n, max(1, lb.threads/n))
		}
		row, err := lb.serveRun(ctx, exe, modelPath, n)
		if err != nil {
			return fail(err)
		}
		rows = append(rows, row)
	}
	base := rows[0]
	for _, r := range rows {
		if r.Engines == 1 {
			base = r
			break
		}
	}
	for i := range rows {
		if base.SecondsPerPiece > 0 {
			rows[i].Ratio = rows[i].SecondsPerPiece / base.SecondsPerPiece
		}
	}
	report := map[string]any{"model": filepath.Base(modelPath), "document": filepath.Base(lb.doc), "threads": lb.threads,
		"cores": runtime.NumCPU(), "rows": rows}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: map steps of %s on `chapel serve` processes on loopback (%d threads in all, %d cores)\n",
		filepath.Base(modelPath), filepath.Base(lb.doc), lb.threads, runtime.NumCPU())
	fmt.Fprintf(&b, "  engines | threads each | map s | pieces | s/piece | prompt tok/s | gen tok/s | vs one | pieces by engine\n")
	for _, r := range rows {
		over := ""
		if r.Oversubscribed {
			over = " (oversubscribed)"
		}
		fmt.Fprintf(&b, "  %7d | %12d | %5.1f | %6d | %7.1f | %12.1f | %9.1f | %5.2f× | %s%s\n", r.Engines, r.ThreadsEach, r.Seconds, r.Pieces,
			r.SecondsPerPiece, r.PromptTPS, r.GenTPS, r.Ratio, joinInts(r.ByEngine), over)
	}
	b.WriteString("  prompt and gen tok/s: all engines' tokens ÷ the map phase's wall time; target: two engines ≤ 0.60× one")
	return printBench(lb.asJSON, report, b.String())
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "/")
}

// serveRun starts n servers, summarises lb.doc on them until lb.pieces map
// steps are saved (or the map phase ends), and stops the servers.
func (lb loadBench) serveRun(ctx context.Context, exe, modelPath string, n int) (serveRow, error) {
	threads := max(1, lb.threads/n)
	row := serveRow{Engines: n, ThreadsEach: threads, Oversubscribed: n*threads > runtime.NumCPU()}
	dir, err := os.MkdirTemp("", "chapel-bench-serve-")
	if err != nil {
		return row, err
	}
	defer os.RemoveAll(dir)
	var children []*serveChild
	defer func() {
		for _, c := range children {
			c.stop()
		}
	}()
	for i := range n {
		c, err := startServeChild(ctx, exe, filepath.Join(dir, fmt.Sprintf("engine-%d", i+1)), modelPath, threads)
		if err != nil {
			return row, err
		}
		children = append(children, c)
	}
	for _, c := range children {
		if err := c.ready(ctx); err != nil {
			return row, err
		}
	}
	st, docID, done, err := scratchDocument(ctx, lb.doc)
	if err != nil {
		return row, err
	}
	defer done()

	// The endpoints only: this process's engine is never loaded.
	sw := remote.NewSwitch(engine.NewLocal(), nil)
	defer sw.Close()
	var refs []string
	names := map[string]int{}
	for i, c := range children {
		// One request at a time: `chapel serve` answers one at a time, and a
		// free engine then takes the next piece from the queue.
		cfg := remote.Config{ID: fmt.Sprintf("engine-%d", i+1), Name: fmt.Sprintf("engine %d", i+1), BaseURL: c.url, APIKey: c.token, Parallel: 1}
		ref, err := sw.Register(cfg, c.model)
		if err != nil {
			return row, err
		}
		refs = append(refs, ref)
		names[cfg.Name] = i
	}
	if _, err := sw.Load(ctx, refs[0], engine.LoadOptions{}); err != nil {
		return row, err
	}
	var mu sync.Mutex
	row.ByEngine = make([]int, n)
	err = sw.ShareBatches(ctx, refs[1:], func(d remote.Done) {
		name, _, _ := strings.Cut(d.Engine, " (")
		mu.Lock()
		defer mu.Unlock()
		if i, ok := names[name]; ok {
			row.ByEngine[i]++
		}
	})
	if err != nil {
		return row, err
	}
	meter := &bench.Meter{Engine: sw}
	svc := summarize.New(st, meter, nil)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var doneAt time.Time
	_, err = svc.Summarize(runCtx, docID, "brief", func(p summarize.Progress) {
		if doneAt.IsZero() && (p.PiecesDone >= lb.pieces || p.Level > 0) {
			// Pieces a batch answered together are saved one after another:
			// the pieces done are those the engines answered.
			mu.Lock()
			answered := 0
			for _, k := range row.ByEngine {
				answered += k
			}
			mu.Unlock()
			doneAt, row.Pieces = time.Now(), max(p.PiecesDone, answered)
			cancel()
		}
	})
	if err != nil && runCtx.Err() == nil {
		return row, err
	}
	if ctx.Err() != nil {
		return row, ctx.Err()
	}
	if doneAt.IsZero() || meter.Started.IsZero() || row.Pieces == 0 {
		return row, errors.New("the summary ended before any map step was saved")
	}
	row.Seconds = doneAt.Sub(meter.Started).Seconds()
	row.SecondsPerPiece = row.Seconds / float64(row.Pieces)
	row.PromptTokens, row.Completion = meter.PromptTokens, meter.Completion
	row.PromptTPS, row.GenTPS = float64(meter.PromptTokens)/row.Seconds, float64(meter.Completion)/row.Seconds
	return row, nil
}

// serveChild is one `chapel serve` process the benchmark started.
type serveChild struct {
	cmd        *exec.Cmd
	url, token string
	model      string // the name it serves its model under
	urlc       chan string
	exited     chan struct{}
	stderr     *bytes.Buffer
	stopOnce   sync.Once
}

var serveLine = regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/v1)$`)

// startServeChild starts `chapel serve` on a free loopback port with a
// token of its own and its data folder in home.
func startServeChild(ctx context.Context, exe, home, modelPath string, threads int) (*serveChild, error) {
	token, err := serve.NewToken()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "serve", "--home", home, "--model", modelPath, "--port", "0", "--threads", strconv.Itoa(threads))
	cmd.Env = append(os.Environ(), "CHAPEL_API_TOKEN="+token) // not on the command line, where ps shows it
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &serveChild{cmd: cmd, token: token, urlc: make(chan string, 1), exited: make(chan struct{}), stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr // read once it exited
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start chapel serve: %w", err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := serveLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case c.urlc <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { _ = cmd.Wait(); close(c.exited) }()
	return c, nil
}

// ready waits until the server listens and answers with the token.
func (c *serveChild) ready(ctx context.Context) error {
	select {
	case c.url = <-c.urlc:
	case <-c.exited:
		return fmt.Errorf("chapel serve exited before it listened: %s", strings.TrimSpace(c.stderrText()))
	case <-time.After(3 * time.Minute):
		return errors.New("chapel serve did not listen within 3 minutes")
	case <-ctx.Done():
		return ctx.Err()
	}
	e, err := remote.New(remote.Config{BaseURL: c.url, APIKey: c.token})
	if err != nil {
		return err
	}
	defer e.Close()
	for try := 0; ; try++ {
		ms, err := e.Models(ctx)
		if err == nil && len(ms) > 0 {
			c.model = ms[0].ID
			return nil
		}
		if try == 50 || ctx.Err() != nil {
			return fmt.Errorf("chapel serve at %s does not answer: %v", c.url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends the server: SIGTERM (it stops serving and exits), then a kill
// after 5 s.
func (c *serveChild) stop() {
	c.stopOnce.Do(func() {
		if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			_ = c.cmd.Process.Kill()
		}
		select {
		case <-c.exited:
		case <-time.After(5 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
}

func (c *serveChild) stderrText() string {
	<-c.exited
	return c.stderr.String()
}
