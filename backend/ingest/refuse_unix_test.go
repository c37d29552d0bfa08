//go:build unix

package ingest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// addPipeAndLink puts a named pipe "pipe" and a link "gone.md" to the
// missing file target in dir.
func addPipeAndLink(t *testing.T, dir, target string) {
	t.Helper()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "gone.md")); err != nil {
		t.Fatal(err)
	}
}
