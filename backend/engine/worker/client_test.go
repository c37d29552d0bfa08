package worker

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// untimed drops the timings, which differ from run to run.
func untimed(r engine.Result) engine.Result {
	r.PromptTPS, r.TokensPerSecond, r.TimeToFirstMS = 0, 0, 0
	return r
}

func TestSameTextAsLocal(t *testing.T) {
	cases := []struct {
		name  string
		model func(testing.TB) string
	}{
		{"tiny plain", tinyPlain},
		{"tiny chatml", tinyChatML},
		{"stories260K", storiesModel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.model(t)
			local := engine.NewLocal()
			defer local.Close()
			client, sp := newClient(t)
			if li, ci := load(t, local, path), load(t, client, path); !sameModel(li, ci) {
				t.Errorf("model info differs:\nlocal  %+v\nworker %+v", li, ci)
			}
			// compare runs req on both engines, which must stream the same
			// pieces and give the same result (cache reuse included).
			compare := func(req engine.Request) string {
				lp, lr := generate(t, local, req)
				cp, cr := generate(t, client, req)
				if !reflect.DeepEqual(lp, cp) {
					t.Errorf("pieces differ:\nlocal  %q\nworker %q", lp, cp)
				}
				if untimed(lr) != untimed(cr) {
					t.Errorf("results differ:\nlocal  %+v\nworker %+v", lr, cr)
				}
				return strings.Join(cp, "")
			}
			first := request("Once upon a time", 48)
			reply := compare(first)
			followUp := request("", 32)
			followUp.Messages = append(append([]engine.Message{}, first.Messages...),
				engine.Message{Role: engine.RoleAssistant, Content: reply}, engine.Message{Role: engine.RoleUser, Content: "and then?"})
			compare(followUp)
			seeded := request("the cat", 32)
			seeded.Sampling = engine.DefaultSampling()
			seeded.Sampling.Seed = 42
			compare(seeded)
			long := request("Once upon a time", 300)
			long.IgnoreEOS = true
			compare(long)
			if sp.count() != 1 {
				t.Errorf("%d workers started, want 1", sp.count())
			}
		})
	}
}

func TestCancelThroughTheWorker(t *testing.T) {
	cases := []struct {
		name  string
		model func(testing.TB) string
	}{
		{"tiny", tinyPlain},
		{"stories260K", storiesModel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, _ := newClient(t)
			load(t, client, c.model(t))
			req := request("Once upon a time", 0)
			req.Sampling = engine.Sampling{Temperature: 1, Seed: 1}
			req.IgnoreEOS = true
			for i := 0; i < 5; i++ {
				ctx, cancel := context.WithCancel(context.Background())
				var at time.Time
				n := 0
				res, err := client.Generate(ctx, req, func(string) {
					if n++; n == 3 {
						at = time.Now()
						cancel()
					}
				})
				took := time.Since(at)
				cancel()
				if err != nil || res.StopReason != engine.StopCanceled {
					t.Fatalf("res = %+v, err = %v", res, err)
				}
				if took > 100*time.Millisecond {
					t.Errorf("Generate returned %v after the cancel, want within 100ms", took)
				}
			}
			// Cancelled before it starts, then usable again.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if res, err := client.Generate(ctx, req, func(string) { t.Error("a piece after the cancel") }); err != nil || res.StopReason != engine.StopCanceled {
				t.Errorf("res = %+v, err = %v", res, err)
			}
			if out := text(t, client, request("Once upon a time", 8)); out == "" {
				t.Error("no text after cancelled generations")
			}
		})
	}
}

func TestOneGenerationAtATime(t *testing.T) {
	client, _ := newClient(t)
	load(t, client, tinyPlain(t))
	long := request("Once upon a time", 200)
	long.IgnoreEOS = true
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		if len(order) == 0 || order[len(order)-1] != s {
			order = append(order, s)
		}
	}
	started := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client.Generate(context.Background(), long, func(string) {
			note("first")
			once.Do(func() { close(started) })
		})
		note("first done")
	}()
	<-started
	if _, err := client.Generate(context.Background(), request("the dog", 8), func(string) { note("second") }); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if want := []string{"first", "first done", "second"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

func TestBadModelFilesThroughTheWorker(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, err := os.ReadFile(tinyPlain(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		path   string
		code   apperr.Code
		want   string
		worker bool // the header looks right: the worker's llama.cpp refuses it
	}{
		{"missing", filepath.Join(dir, "nope.gguf"), apperr.NotFound, "was not found", false},
		{"folder", dir, apperr.Invalid, "is a folder", false},
		{"empty", write("empty.gguf", nil), apperr.Invalid, "too short", false},
		{"text file", write("notes.gguf", []byte("these are my notes, not a model at all")), apperr.Invalid, "not a GGUF file", false},
		{"truncated", write("cut.gguf", good[:len(good)/2]), apperr.Invalid, "truncated", false},
		{"garbage after magic", write("junk.gguf", append([]byte("GGUF\x03\x00\x00\x00"), make([]byte, 64)...)), apperr.Invalid, "could not be loaded", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			local := engine.NewLocal()
			defer local.Close()
			_, want := local.Load(context.Background(), c.path, engine.LoadOptions{})
			client, sp := newClient(t)
			_, err := client.Load(context.Background(), c.path, engine.LoadOptions{})
			if err == nil || want == nil {
				t.Fatalf("loaded a bad model file: worker %v, local %v", err, want)
			}
			if err.Error() != want.Error() || apperr.Message(err) != apperr.Message(want) || apperr.CodeOf(err) != apperr.CodeOf(want) {
				t.Errorf("worker: %v (%s)\nlocal:  %v (%s)", err, apperr.CodeOf(err), want, apperr.CodeOf(want))
			}
			if apperr.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v (code %s), want code %s mentioning %q", err, apperr.CodeOf(err), c.code, c.want)
			}
			if _, ok := client.Model(context.Background()); ok {
				t.Error("a model is loaded after a failed load")
			}
			if started := sp.count() > 0; started != c.worker {
				t.Errorf("worker started: %v, want %v", started, c.worker)
			}
		})
	}
}

func TestGenerateWithoutModel(t *testing.T) {
	client, sp := newClient(t)
	_, err := client.Generate(context.Background(), request("hi", 4), func(string) {})
	_, want := engine.NewLocal().Generate(context.Background(), request("hi", 4), func(string) {})
	if err == nil || err.Error() != want.Error() || apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("err = %v, want %v", err, want)
	}
	if sp.count() != 0 {
		t.Error("a worker was started with nothing to do")
	}
}

func TestCloseEndsTheWorker(t *testing.T) {
	client, sp := newClient(t)
	load(t, client, tinyPlain(t))
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := sp.last()
	if cmd.ProcessState == nil || !cmd.ProcessState.Success() {
		t.Errorf("worker after Close: %v", cmd.ProcessState)
	}
	if _, ok := client.Model(context.Background()); ok {
		t.Error("a model is loaded after Close")
	}
	// Usable again after Close, like engine.Local: a new worker.
	load(t, client, tinyPlain(t))
	if out := text(t, client, request("hi", 4)); out == "" || sp.count() != 2 {
		t.Errorf("after Close: %q from %d workers", out, sp.count())
	}
}

// The worker exits when its stdin closes: the app is gone.
func TestWorkerExitsWhenStdinCloses(t *testing.T) {
	cmd := (&spawner{}).cmd()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrame(stdin, Message{Kind: KindLoad, ID: 1, Path: tinyPlain(t), Options: &testOpts}); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("worker exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the worker kept running after its stdin closed")
	}
}

// Parallel sequences through the worker give the same text as in process.
func TestBatchThroughTheWorker(t *testing.T) {
	ctx := context.Background()
	path := tinyChatML(t)
	local := engine.NewLocal()
	defer local.Close()
	if _, err := local.Load(ctx, path, engine.LoadOptions{ContextSize: 1024, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	c, _ := newClient(t)
	if _, err := c.Load(ctx, path, engine.LoadOptions{ContextSize: 1024, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	var reqs []engine.Request
	for _, p := range []string{"the cat", "a dog", "once upon a time"} {
		reqs = append(reqs, engine.Request{Messages: []engine.Message{{Role: engine.RoleUser, Content: p}}, MaxTokens: 12})
	}
	run := func(e engine.Engine) ([]string, []engine.Result) {
		out := make([]string, len(reqs))
		res, err := e.GenerateBatch(ctx, reqs, func(i int, s string) { out[i] += s })
		if err != nil {
			t.Fatal(err)
		}
		return out, res
	}
	want, wantRes := run(local)
	got, gotRes := run(c)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("worker batch %q, in process %q", got, want)
	}
	for i := range gotRes {
		if gotRes[i].CompletionTokens != wantRes[i].CompletionTokens || gotRes[i].StopReason != wantRes[i].StopReason {
			t.Errorf("sequence %d: worker %+v, in process %+v", i, gotRes[i], wantRes[i])
		}
	}
}

func TestCountTokensThroughTheWorker(t *testing.T) {
	path := tinyChatML(t)
	local := engine.NewLocal()
	defer local.Close()
	client, _ := newClient(t)
	load(t, local, path)
	load(t, client, path)
	texts := []string{"the big dog went home", "", strings.Repeat("the little girl saw the big tree ", 50)}
	want, err := local.CountTokens(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.CountTokens(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("worker counted %v, local %v", got, want)
	}
}
