package download

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/download/dltest"
)

// TestMain lets the test binary serve a model in its own process: with
// DLTEST_SERVE=FILE it serves FILE on 127.0.0.1 and prints its address.
func TestMain(m *testing.M) {
	if file := os.Getenv("DLTEST_SERVE"); file != "" {
		os.Exit(serveProcess(file))
	}
	os.Exit(m.Run())
}

func serveProcess(file string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := dltest.New("org/model-GGUF", strings.Repeat("c", 40), filepath.Base(file), data, dltest.Faults{DropAfter: int64(len(data) / 3), Drops: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("http://%s%s %s\n", ln.Addr(), srv.Path(), srv.SHA256)
	if err := http.Serve(ln, srv); err != nil {
		return 1
	}
	return 0
}

// payload is n random bytes (a stand-in for a model: the downloader does not look inside).
func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 9))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func serve(t *testing.T, data []byte, f dltest.Faults) (*dltest.Server, string) {
	t.Helper()
	s := dltest.New("org/model-GGUF", strings.Repeat("a", 40), "model.gguf", data, f)
	hs := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return s, hs.URL + s.Path()
}

// fast are options that keep the tests short.
var fast = Options{Backoff: 20 * time.Millisecond, StallTimeout: 500 * time.Millisecond, ProgressEvery: time.Millisecond}

type recorder struct {
	mu  sync.Mutex
	got []Progress
}

func (r *recorder) add(p Progress) { r.mu.Lock(); r.got = append(r.got, p); r.mu.Unlock() }

func (r *recorder) states() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.got {
		if len(out) == 0 || out[len(out)-1] != p.State {
			out = append(out, p.State)
		}
	}
	return out
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestDownloads(t *testing.T) {
	data := payload(3<<20 + 12345)
	cases := []struct {
		name      string
		faults    dltest.Faults
		sha       string // the request's expected hash ("": the server's)
		wantErr   string // a fragment of the message; "" for success
		wantGets  int64  // GETs of the bytes (0: don't check)
		wantRange bool   // a later GET asked for a range
	}{
		{name: "plain", wantGets: 1},
		{name: "catalogue hash given", sha: sum(data), wantGets: 1},
		{name: "connection dropped half-way resumes with Range", faults: dltest.Faults{DropAfter: 1 << 20, Drops: 2}, wantGets: 3, wantRange: true},
		{name: "stalled server is given up on and resumed", faults: dltest.Faults{StallAfter: 512 << 10}, wantGets: 2, wantRange: true},
		{name: "server without HEAD", faults: dltest.Faults{NoHEAD: true}, sha: sum(data), wantGets: 1},
		{name: "server ignoring Range restarts from zero", faults: dltest.Faults{DropAfter: 1 << 20, Drops: 1, NoRange: true}, wantGets: 2},
		{name: "wrong bytes", faults: dltest.Faults{Wrong: true}, wantErr: "is damaged: its SHA-256 is"},
		{name: "server's file is not the catalogue's", sha: strings.Repeat("0", 64), wantErr: "is not the file Chapel expects"},
		{name: "no hash stated and none given: downloads unverified", faults: dltest.Faults{NoHashHeads: true}, wantGets: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, url := serve(t, data, c.faults)
			dir := t.TempDir()
			rec := &recorder{}
			path, err := Run(context.Background(), Request{URL: url, Dir: dir, File: "model.gguf", SHA256: c.sha}, fast, rec.add)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(apperr.Message(err), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				if _, err := os.Stat(PartPath(dir, "model.gguf")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the part survived a failed check: %v", err)
				}
				if _, err := os.Stat(filepath.Join(dir, "model.gguf")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("an unverified file is in the models folder")
				}
				return
			}
			if err != nil {
				t.Fatalf("download: %v (states %v)", err, rec.states())
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("downloaded file differs (err %v, %d bytes)", err, len(got))
			}
			if c.wantGets > 0 && srv.Gets() != c.wantGets {
				t.Errorf("GETs = %d, want %d (ranges %q)", srv.Gets(), c.wantGets, srv.Ranges())
			}
			if r := srv.Ranges(); c.wantRange && (len(r) < 2 || !strings.HasPrefix(r[len(r)-1], "bytes=")) {
				t.Errorf("the retry did not ask for a range: %q", r)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*.part*")); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
			st := rec.states()
			if st[len(st)-1] != StateDone {
				t.Errorf("states %v do not end with done", st)
			}
		})
	}
}

func TestProgressReportsSpeedAndTimeLeft(t *testing.T) {
	data := payload(2 << 20)
	_, url := serve(t, data, dltest.Faults{Throttle: 15 * time.Millisecond})
	rec := &recorder{}
	if _, err := Run(context.Background(), Request{URL: url, Dir: t.TempDir(), File: "model.gguf"}, fast, rec.add); err != nil {
		t.Fatal(err)
	}
	var sawSpeed bool
	var prev int64
	for _, p := range rec.got {
		if p.Done < prev {
			t.Fatalf("progress went backwards: %d after %d", p.Done, prev)
		}
		prev = p.Done
		if p.State == StateDownloading && p.BytesPerSec > 0 && p.SecondsLeft >= 0 && p.Total == int64(len(data)) {
			sawSpeed = true
		}
	}
	if !sawSpeed {
		t.Errorf("no progress event carried speed, total and time left: %+v", rec.got)
	}
	if last := rec.got[len(rec.got)-1]; last.State != StateDone || last.Done != int64(len(data)) || !last.Verified {
		t.Errorf("last event %+v", last)
	}
}

func TestPauseResumeCancel(t *testing.T) {
	data := payload(4 << 20)
	srv, url := serve(t, data, dltest.Faults{Throttle: 10 * time.Millisecond})
	dir := t.TempDir()
	m := NewManager(fast)
	defer m.Close()
	rec := &recorder{}
	id, err := m.Start(Request{URL: url, Dir: dir, File: "model.gguf"}, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { fi, err := os.Stat(PartPath(dir, id)); return err == nil && fi.Size() > 256<<10 })
	if err := m.Pause(id); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(PartPath(dir, id))
	if err != nil {
		t.Fatalf("the part is gone after a pause: %v", err)
	}
	if p := Pending(dir); len(p) != 1 || p[0].ID != id || p[0].Done != fi.Size() || p[0].Total != int64(len(data)) {
		t.Errorf("Pending = %+v", p)
	}
	srv.SetFaults(dltest.Faults{})
	done := make(chan Progress, 16)
	if err := m.Resume(id, dir, func(p Progress) {
		if p.State == StateDone || p.State == StateFailed {
			done <- p
		}
	}); err != nil {
		t.Fatal(err)
	}
	p := <-done
	if p.State != StateDone {
		t.Fatalf("resume ended %+v", p)
	}
	if r := srv.Ranges(); !strings.HasPrefix(r[len(r)-1], fmt.Sprintf("bytes=%d-", fi.Size())) {
		t.Errorf("the resume asked for %q, want bytes=%d-", r[len(r)-1], fi.Size())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "model.gguf")); !bytes.Equal(got, data) {
		t.Fatal("resumed file differs")
	}

	// Cancel deletes the part.
	srv.SetFaults(dltest.Faults{Throttle: 10 * time.Millisecond})
	id2, err := m.Start(Request{URL: url, Dir: dir, File: "second.gguf"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, err := os.Stat(PartPath(dir, id2)); return err == nil })
	if err := m.Cancel(id2, dir); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "second.gguf*")); len(left) > 0 {
		t.Errorf("cancel left %v", left)
	}
}

func TestSeveralAtOnce(t *testing.T) {
	m := NewManager(fast)
	defer m.Close()
	dir := t.TempDir()
	var wg sync.WaitGroup
	results := make([]Progress, 3)
	// The payloads, their servers and sums first: under -race making them
	// takes longer than a download, which would end before the next starts.
	reqs := make([]Request, len(results))
	for i := range reqs {
		data := payload(1<<20 + i*1000)
		_, url := serve(t, data, dltest.Faults{Throttle: 5 * time.Millisecond})
		reqs[i] = Request{URL: url, Dir: dir, File: fmt.Sprintf("m%d.gguf", i), SHA256: sum(data)}
	}
	for i := range results {
		wg.Add(1)
		if _, err := m.Start(reqs[i], func(p Progress) {
			if p.State == StateDone || p.State == StateFailed {
				results[i] = p
				wg.Done()
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	// All three run together: each has a part on disk before any finishes.
	waitFor(t, func() bool {
		parts, _ := filepath.Glob(filepath.Join(dir, "*.gguf.part"))
		return len(parts) == 3
	})
	wg.Wait()
	for i, p := range results {
		if p.State != StateDone {
			t.Errorf("download %d: %+v", i, p)
		}
	}
}

func TestNoNetworkFailsQuickly(t *testing.T) {
	// A port nothing listens on: connection refused, retried a bounded number of times.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	_, err = Run(context.Background(), Request{URL: "http://" + addr + "/m.gguf", Dir: t.TempDir(), File: "m.gguf"}, fast, nil)
	if err == nil || apperr.CodeOf(err) != apperr.Unavailable || !strings.Contains(apperr.Message(err), "could not reach") {
		t.Fatalf("err = %v (%s)", err, apperr.Message(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	// A name that cannot resolve is not retried.
	_, err = Run(context.Background(), Request{URL: "http://chapel-test.invalid/m.gguf", Dir: t.TempDir(), File: "m.gguf"}, fast, nil)
	if err == nil || !strings.Contains(apperr.Message(err), "could not reach chapel-test.invalid") {
		t.Fatalf("err = %v", apperr.Message(err))
	}
	// A server that accepts but never answers: the header timeout ends it.
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	o := fast
	o.HeaderTimeout, o.Retries = 200*time.Millisecond, 2
	start = time.Now()
	_, err = Run(context.Background(), Request{URL: "http://" + ln.Addr().String() + "/m.gguf", Dir: t.TempDir(), File: "m.gguf"}, o, nil)
	if err == nil || !strings.Contains(apperr.Message(err), "timed out") {
		t.Fatalf("err = %v", apperr.Message(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("hung for %s", d)
	}
}

func TestResumeRehashesThePart(t *testing.T) {
	data := payload(2 << 20)
	_, url := serve(t, data, dltest.Faults{})
	dir := t.TempDir()
	req := Request{URL: url, Dir: dir, File: "model.gguf"}
	// A part left by a run that was killed: its first MB and its sidecar.
	if err := os.WriteFile(PartPath(dir, req.File), data[:1<<20], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeState(dir, state{URL: url, File: req.File, SHA256: sum(data), Size: int64(len(data)), ETag: sum(data)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), req, fast, nil); err != nil {
		t.Fatal(err)
	}
	// The same, but the part's bytes were damaged on disk: the hash catches it.
	bad := bytes.Clone(data[:1<<20])
	bad[100] ^= 1
	os.Remove(filepath.Join(dir, req.File))
	os.WriteFile(PartPath(dir, req.File), bad, 0o644)
	writeState(dir, state{URL: url, File: req.File, SHA256: sum(data), Size: int64(len(data)), ETag: sum(data)})
	if _, err := Run(context.Background(), req, fast, nil); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("a damaged part passed: %v", err)
	}
}

func TestSeparateServerProcess(t *testing.T) {
	data := payload(3 << 20)
	file := filepath.Join(t.TempDir(), "served.gguf")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=NONE")
	cmd.Env = append(os.Environ(), "DLTEST_SERVE="+file)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var url, sha string
	fmt.Sscan(line, &url, &sha)
	dir := t.TempDir()
	path, err := Run(context.Background(), Request{URL: url, Dir: dir, File: "served.gguf", SHA256: sha}, fast, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Fatal("file from the server process differs")
	}
	// The server process dies mid-way through a second download: a clear error, no hang.
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	_, err = Run(context.Background(), Request{URL: url, Dir: t.TempDir(), File: "served.gguf", SHA256: sha}, fast, nil)
	if err == nil || !strings.Contains(apperr.Message(err), "could not reach") {
		t.Fatalf("err = %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
