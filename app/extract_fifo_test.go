//go:build unix

package app

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExtractRefusesFIFO: `chapel extract` on a named pipe says it is not
// an ordinary file and exits at once (it waited for a writer forever).
func TestExtractRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.md")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := chapelCmd(dir, "extract", fifo)
	cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	cmd.Env = chapelCmd(dir).Env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("chapel extract on a FIFO was still running after %v", time.Since(start).Round(time.Millisecond))
	}
	if err == nil || !strings.Contains(string(out), "not an ordinary file (it is a named pipe)") {
		t.Errorf("chapel extract on a FIFO: %v, %q", err, out)
	}
}
