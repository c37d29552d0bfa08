package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// TestCLIWorkerKilledIsOneSentence: when the engine's worker is killed, the
// CLI prints one sentence saying so (no log lines before it), and does not
// blame memory for a kill that was not the OOM killer's.
func TestCLIWorkerKilledIsOneSentence(t *testing.T) {
	home := t.TempDir()
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	// A worker that reads the load request and is killed.
	worker := filepath.Join(t.TempDir(), "worker.sh")
	if err := os.WriteFile(worker, []byte("#!/bin/sh\nread -r _x\nkill -KILL $$\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := chapelCmd(home, "chat", "--model", model, "Hello")
	cmd.Env = append(cmd.Env, "CHAPEL_ENGINE_BINARY="+worker)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		t.Fatalf("chat succeeded with a worker that dies: %q", stdout.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	want := "chapel: the engine stopped: killed by signal 9 (killed)"
	if len(lines) != 1 || !strings.HasPrefix(lines[0], want) || strings.Contains(lines[0], "memory") {
		t.Errorf("stderr:\n%s\nwant one line starting %q, without blaming memory", stderr.String(), want)
	}
	// The details are in the log.
	b, err := os.ReadFile(filepath.Join(home, "logs", "chapel.log"))
	if err != nil || !strings.Contains(string(b), "the engine worker stopped") {
		t.Errorf("the log does not record the crash: %v\n%s", err, b)
	}
}
