package worker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// The test binary is its own engine worker: with CHAPEL_TEST_WORKER=1 it
// serves the protocol on stdin and stdout. With CHAPEL_TEST_PARENT=PATH it
// plays the app: it loads PATH through a Client, prints the worker's pid and
// waits to be killed.
const (
	envWorker = "CHAPEL_TEST_WORKER"
	envParent = "CHAPEL_TEST_PARENT"
)

func TestMain(m *testing.M) {
	if os.Getenv(envWorker) == "1" {
		os.Exit(runTestWorker())
	}
	if path := os.Getenv(envParent); path != "" {
		os.Exit(runTestParent(path))
	}
	if os.Getenv(envHog) == "1" {
		os.Exit(runHog())
	}
	os.Exit(m.Run())
}

// envHog makes the test binary a worker that eats memory until it is
// killed (the out-of-memory test).
const envHog = "CHAPEL_TEST_HOG"

// runHog touches 32 MB after 32 MB, up to 2 GB, then waits.
func runHog() int {
	var keep [][]byte
	for i := 0; i < 64; i++ {
		b := make([]byte, 32<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i + 1)
		}
		keep = append(keep, b)
	}
	time.Sleep(time.Minute)
	return len(keep)
}

// runTestWorker is what app's __engine-worker subcommand does.
func runTestWorker() int {
	signal.Ignore(os.Interrupt)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	out, err := ProtocolOutput()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test worker:", err)
		return 1
	}
	if err := Serve(ctx, os.Stdin, out, engine.NewLocal()); err != nil {
		fmt.Fprintln(os.Stderr, "test worker:", err)
		return 1
	}
	return 0
}

func runTestParent(path string) int {
	sp := &spawner{}
	c := New(sp.cmd, nil)
	if _, err := c.Load(context.Background(), path, testOpts); err != nil {
		fmt.Fprintln(os.Stderr, "test parent:", err)
		return 1
	}
	fmt.Printf("%d\n", sp.last().Process.Pid)
	time.Sleep(time.Hour)
	return 0
}

// testOpts uses one thread: two processes with a llama.cpp thread pool each
// (the in-process engine the tests compare with, and the worker) share two
// cores badly, since ggml's threads spin for a while after their work.
var testOpts = engine.LoadOptions{ContextSize: 1024, Threads: 1}

// spawner makes worker commands running this test binary and keeps them.
type spawner struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
	args []string // a different worker program, for the crash-report tests
}

func (s *spawner) cmd() *exec.Cmd {
	var c *exec.Cmd
	if len(s.args) > 0 {
		c = exec.Command(s.args[0], s.args[1:]...)
	} else {
		c = exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), envWorker+"=1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmds = append(s.cmds, c)
	return c
}

func (s *spawner) last() *exec.Cmd {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmds[len(s.cmds)-1]
}

func (s *spawner) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cmds)
}

// newClient returns a Client whose workers are this test binary. Cleanup
// closes it and checks that every worker it started was waited for.
func newClient(t testing.TB) (*Client, *spawner) {
	t.Helper()
	sp := &spawner{}
	c := New(sp.cmd, nil)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for i, cmd := range sp.cmds {
			for cmd.ProcessState == nil && cmd.Process != nil && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if cmd.Process != nil && cmd.ProcessState == nil {
				t.Errorf("worker %d (pid %d) was not waited for", i, cmd.Process.Pid)
			}
		}
	})
	return c, sp
}

func tinyModel(t testing.TB, tmpl string) string { return testmodel.Tiny(t, tmpl) }

func tinyPlain(t testing.TB) string  { return tinyModel(t, "") }
func tinyChatML(t testing.TB) string { return tinyModel(t, gguf.ChatMLTemplate) }

// storiesModel is the real 260K-parameter TinyStories model from ../shared.
func storiesModel(t testing.TB) string { return testmodel.Stories(t) }

func load(t testing.TB, e engine.Engine, path string) engine.ModelInfo {
	t.Helper()
	info, err := e.Load(context.Background(), path, testOpts)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return info
}

func request(text string, maxTokens int) engine.Request {
	return engine.Request{Messages: []engine.Message{{Role: engine.RoleUser, Content: text}}, MaxTokens: maxTokens}
}

// generate runs req to the end and returns the pieces in order.
func generate(t testing.TB, e engine.Engine, req engine.Request) ([]string, engine.Result) {
	t.Helper()
	var pieces []string
	res, err := e.Generate(context.Background(), req, func(s string) {
		if !utf8.ValidString(s) {
			t.Errorf("piece %q is not valid UTF-8", s)
		}
		pieces = append(pieces, s)
	})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return pieces, res
}

func text(t testing.TB, e engine.Engine, req engine.Request) string {
	t.Helper()
	pieces, _ := generate(t, e, req)
	return strings.Join(pieces, "")
}

// sameModel compares two engines' model info but for the figures in
// Kernels, which each process measures for itself at start: both must say
// who multiplies the weights, or neither.
func sameModel(a, b engine.ModelInfo) bool {
	if (a.Kernels == "") != (b.Kernels == "") {
		return false
	}
	a.Kernels, b.Kernels = "", ""
	return a == b
}
