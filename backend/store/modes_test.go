//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDatabaseFilesArePrivate: under umask 022, in an existing 0755
// folder, chapel.db, its WAL, its shared-memory file and the reserve are
// created 0600; a database an earlier version left 0644 is made 0600 too.
func TestDatabaseFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, existing := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "home")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "chapel.db")
		if existing { // a database made before, world-readable
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				os.Chmod(p, 0o644)
			}
		}
		s := openAt(t, path)
		if _, err := s.CreateConversation(context.Background(), "hello", ""); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm", path + reserveSuffix} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Errorf("existing=%v: %v", existing, err)
				continue
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("existing=%v: %s is %o, want 600", existing, filepath.Base(p), m)
			}
		}
	}
}
