//go:build linux

package worker

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
)

// TestCrashReports runs workers that die in different ways; the error says how.
func TestCrashReports(t *testing.T) {
	cases := []struct {
		name   string
		script string
		want   string
	}{
		{"abort with a ggml assertion", `echo "llama.cpp/ggml.c:1234: GGML_ASSERT(n > 0) failed" >&2; kill -ABRT $$`,
			"the engine stopped: killed by signal 6 (aborted): llama.cpp/ggml.c:1234: GGML_ASSERT(n > 0) failed"},
		{"exit 134", `echo "terminate called after throwing an instance of 'std::bad_alloc'" >&2; exit 134`,
			"the engine stopped: exit status 134 (aborted): terminate called after throwing an instance of 'std::bad_alloc'"},
		{"quiet exit", `exit 0`, "the engine stopped: exit status 0"},
		// A SIGKILL from someone else (a person, a process manager) is not
		// called a lack of memory.
		{"killed", `kill -KILL $$`, "the engine stopped: killed by signal 9 (killed)"},
		{"garbage on stdout", `echo "hello, I am not a frame"; sleep 5`, "the engine stopped: it sent a malformed message"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, sp := newClient(t)
			sp.args = []string{"/bin/sh", "-c", "read -r _x; " + c.script}
			_, err := client.Load(context.Background(), tinyPlain(t), testOpts)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || apperr.CodeOf(err) != apperr.Internal {
				t.Errorf("err = %v (%s)\nwant %s…", err, apperr.CodeOf(err), c.want)
			}
			if err != nil && strings.Contains(err.Error(), "memory") && !strings.Contains(c.want, "memory") {
				t.Errorf("err = %v: blames memory", err)
			}
		})
	}
}

// TestGoCrashInTheWorker: a fatal signal the Go runtime catches in the
// worker (an abort() in llama.cpp ends this way) is reported as such.
func TestGoCrashInTheWorker(t *testing.T) {
	client, sp := newClient(t)
	load(t, client, tinyPlain(t))
	n := 0
	_, err := client.Generate(context.Background(), longRequest(), func(string) {
		if n++; n == 2 {
			if err := sp.last().Process.Signal(syscall.SIGABRT); err != nil {
				t.Error(err)
			}
		}
	})
	// The signal lands on a Go thread (the Go runtime prints "SIGABRT: abort"
	// and exits with status 2) or on one of ggml's threads (the default action).
	if err == nil || !strings.HasPrefix(err.Error(), "the engine stopped: exit status 2 (abort)") &&
		!strings.HasPrefix(err.Error(), "the engine stopped: killed by signal 6 (aborted)") {
		t.Errorf("err = %v", err)
	}
	if out := text(t, client, request("Once", 4)); out == "" {
		t.Error("no text after the restart")
	}
}

// TestWorkerDiesWithItsApp kills an app (this test binary playing one) with
// SIGKILL: its worker must not outlive it.
func TestWorkerDiesWithItsApp(t *testing.T) {
	app := exec.Command(os.Args[0], "-test.run=^$")
	app.Env = append(os.Environ(), envParent+"="+tinyPlain(t))
	out, err := app.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		app.Process.Kill()
		app.Wait()
		t.Fatalf("the app did not say its worker's pid: %q, %v, %v", line, err, perr)
	}
	if !running(pid) {
		t.Fatalf("worker %d is not running while its app runs", pid)
	}
	app.Process.Kill()
	app.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for running(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if running(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("worker %d outlived its app", pid)
	}
}

// running reports whether pid is a live process (not gone, not a zombie).
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state …: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}
