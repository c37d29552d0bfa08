package remote

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/serve"
)

// envServe makes the test binary a Chapel server (backend/serve in front of
// the engine on the model it names), for the tests below to run against in
// another process: real HTTP, real streaming, a real model.
const envServe = "CHAPEL_TEST_SERVE_MODEL"

const serveToken = "remote-test-token"

func TestMain(m *testing.M) {
	if path := os.Getenv(envServe); path != "" {
		os.Exit(serveForTest(path))
	}
	os.Exit(m.Run())
}

// serveForTest loads the model with one thread, prints the address and
// serves until its stdin closes (the test ended).
func serveForTest(path string) int {
	eng := engine.NewLocal()
	defer eng.Close()
	if _, err := eng.Load(context.Background(), path, engine.LoadOptions{ContextSize: 512, Threads: 1}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	q := serve.NewQueue(eng)
	srv, err := serve.New(q.Background(), serve.Config{Addr: "127.0.0.1:0", Token: serveToken})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	addr, err := srv.Listen()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("http://%s/v1\n", addr)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startChapel runs a Chapel server in a child process and returns its base
// URL and a function that kills it.
func startChapel(t *testing.T, model string) (string, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envServe+"="+model)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() { cmd.Process.Kill(); cmd.Wait() }
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, out)
	}()
	select {
	case url, ok := <-lines:
		if !ok {
			kill()
			t.Fatal("the Chapel server exited before it listened")
		}
		t.Cleanup(func() {
			stdin.Close()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
			}
		})
		return url, kill
	case <-time.After(30 * time.Second):
		kill()
		t.Fatal("the Chapel server did not listen within 30 s")
	}
	return "", nil
}

func TestAgainstChapelServe(t *testing.T) {
	url, kill := startChapel(t, testmodel.Tiny(t, ""))
	e := newEngine(t, url, serveToken, "")
	res, err := e.Test(context.Background())
	if err != nil || len(res.Models) != 1 {
		t.Fatalf("test: %v %v", res, err)
	}
	info, err := e.Load(context.Background(), res.Models[0].ID, engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ContextSize != 512 {
		t.Errorf("context %d, want the server's 512", info.ContextSize)
	}

	// A reply streams, with usage; the same greedy request twice gives the same text.
	req := engine.Request{Messages: []engine.Message{{Role: engine.RoleUser, Content: "Once upon a time"}},
		Sampling: engine.Sampling{Temperature: 0}, MaxTokens: 12, IgnoreEOS: true}
	var pieces []string
	r1, err := e.Generate(context.Background(), req, func(s string) { pieces = append(pieces, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(pieces) < 2 || r1.CompletionTokens != 12 || r1.StopReason != engine.StopLength || r1.PromptTokens == 0 {
		t.Errorf("%d pieces, result %+v; want pieces streamed, 12 tokens, length", len(pieces), r1)
	}
	var again strings.Builder
	if _, err := e.Generate(context.Background(), req, func(s string) { again.WriteString(s) }); err != nil {
		t.Fatal(err)
	}
	if again.String() != strings.Join(pieces, "") {
		t.Errorf("greedy replies differ: %q and %q", strings.Join(pieces, ""), again.String())
	}

	// Token counts come from the server's tokenizer.
	counts, err := e.CountTokens(context.Background(), []string{"Once upon a time", "a fox"})
	if err != nil || len(counts) != 2 || counts[0] == 0 || e.TokenCountsEstimated() {
		t.Errorf("counts %v, estimated %v, err %v", counts, e.TokenCountsEstimated(), err)
	}

	// A batch runs as concurrent requests, queued fairly by the server.
	batch := []engine.Request{req, req, req}
	got := make([]string, 3)
	results, err := e.GenerateBatch(context.Background(), batch, func(i int, s string) { got[i] += s })
	if err != nil {
		t.Fatal(err)
	}
	for i := range batch {
		if got[i] != again.String() || results[i].CompletionTokens != 12 {
			t.Errorf("batch %d: %q (%d tokens), want %q", i, got[i], results[i].CompletionTokens, again.String())
		}
	}

	// A wrong key is refused.
	bad := newEngine(t, url, "wrong", "")
	if _, err := bad.Test(context.Background()); err == nil || !strings.Contains(err.Error(), "refused the API key") {
		t.Errorf("wrong key: %v", err)
	}

	// The server dies half-way through a long reply: the text so far and an error.
	long := req
	long.MaxTokens = 100_000
	var partial strings.Builder
	killed := false
	_, err = e.Generate(context.Background(), long, func(s string) {
		partial.WriteString(s)
		if !killed && partial.Len() > 20 {
			killed = true
			kill()
		}
	})
	if err == nil || !strings.Contains(err.Error(), "ended in the middle of the reply") || partial.Len() == 0 {
		t.Errorf("killed server: err %v, partial %d bytes", err, partial.Len())
	}
	// And now nothing listens there.
	if _, err := e.Test(context.Background()); err == nil || apperr.CodeOf(err) != apperr.Unavailable ||
		!strings.Contains(err.Error(), "connection refused") {
		t.Errorf("after the kill: %v", err)
	}
}
