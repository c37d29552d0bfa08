package app

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// serversUnder lists the processes whose command line names a folder under
// dir (the `chapel serve` processes a benchmark run with TMPDIR=dir started).
func serversUnder(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(dir)) || !bytes.Contains(cmdline, []byte("serve\x00")) {
			continue
		}
		out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return out
}

// `chapel bench --summary FILE --serve 1,2` runs the summary's map steps on
// one and then two `chapel serve` processes as the only engines, each with
// its share of the threads: every row counts its pieces by engine, both
// engines of the second row take pieces, and no server outlives the run.
func TestBenchSummaryOnServeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three chapel serve processes")
	}
	if runtime.GOOS != "linux" {
		t.Skip("finds the servers through /proc")
	}
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	doc := filepath.Join(t.TempDir(), "valleys.md")
	if err := os.WriteFile(doc, []byte(longText(40)), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := chapelCmd(t.TempDir(), "bench", "--summary", doc, "--serve", "1,2", "--model", model, "--threads", "2", "--pieces", "4", "--json")
	cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	var rep struct {
		Rows []serveRow `json:"rows"`
	}
	runJSON(t, cmd, &rep)
	if len(rep.Rows) != 2 {
		t.Fatalf("rows %+v, want one for 1 engine and one for 2", rep.Rows)
	}
	for i, want := range []struct{ engines, threads int }{{1, 2}, {2, 1}} {
		r := rep.Rows[i]
		sum := 0
		for _, n := range r.ByEngine {
			sum += n
		}
		switch {
		case r.Engines != want.engines || r.ThreadsEach != want.threads || len(r.ByEngine) != want.engines:
			t.Errorf("row %d: %+v, want %d engines with %d threads each", i, r, want.engines, want.threads)
		case r.Pieces < 4 || sum < r.Pieces || r.Seconds <= 0 || r.PromptTokens <= 0:
			t.Errorf("row %d: %+v: want at least 4 pieces, each counted by its engine", i, r)
		case want.engines == 2 && (r.ByEngine[0] == 0 || r.ByEngine[1] == 0):
			t.Errorf("row %d: pieces by engine %v, want both engines used", i, r.ByEngine)
		}
	}
	if rep.Rows[0].Ratio != 1 || rep.Rows[1].Ratio <= 0 {
		t.Errorf("ratios %v and %v, want 1 for one engine", rep.Rows[0].Ratio, rep.Rows[1].Ratio)
	}
	if left := serversUnder(t, tmp); len(left) > 0 {
		t.Errorf("servers left running after the benchmark:\n%s", strings.Join(left, "\n"))
	}
	t.Logf("one engine %.2f s/piece, two %.2f s/piece (%.2f×)", rep.Rows[0].SecondsPerPiece, rep.Rows[1].SecondsPerPiece, rep.Rows[1].Ratio)
}

// Interrupted (Ctrl-C) while its servers run, or failing because a server
// cannot start, the benchmark stops every server it started.
func TestBenchServeStopsItsServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts chapel serve processes")
	}
	if runtime.GOOS != "linux" {
		t.Skip("finds the servers through /proc")
	}
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	doc := filepath.Join(t.TempDir(), "valleys.md")
	if err := os.WriteFile(doc, []byte(longText(400)), 0o644); err != nil {
		t.Fatal(err)
	}
	notModel := filepath.Join(t.TempDir(), "not-a-model.gguf")
	if err := os.WriteFile(notModel, []byte("GGUF but not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, model string
		interrupt   bool
		want        string
	}{
		{"interrupted", model, true, ""},
		{"a server that cannot start", notModel, false, "chapel serve exited before it listened"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			// Runs of two servers, one after the other, longer than the test waits.
			cmd := chapelCmd(t.TempDir(), "bench", "--summary", doc, "--serve", "2,2,2,2", "--model", tc.model, "--pieces", "100000")
			cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			if tc.interrupt {
				deadline := time.Now().Add(2 * time.Minute)
				for len(serversUnder(t, tmp)) < 2 {
					if time.Now().After(deadline) {
						cmd.Process.Kill()
						t.Fatalf("the servers did not start:\n%s", stderr.String())
					}
					time.Sleep(100 * time.Millisecond)
				}
				time.Sleep(500 * time.Millisecond) // into the summary
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case err := <-done:
				if err == nil {
					t.Errorf("the benchmark succeeded:\n%s", stderr.String())
				}
			case <-time.After(2 * time.Minute):
				cmd.Process.Kill()
				t.Fatalf("the benchmark did not end:\n%s", stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("output %q, want %q", stderr.String(), tc.want)
			}
			if left := serversUnder(t, tmp); len(left) > 0 {
				t.Errorf("servers left running:\n%s", strings.Join(left, "\n"))
			}
		})
	}
}
