//go:build unix

package app

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/chapelapp/chapel/backend/paths"
)

// TestDataFolderIsPrivate: under umask 022, with the data folder an
// existing 0755 folder, what the window and the CLI create in it — the
// log and logs/, documents/, models/, chapel.db and the files SQLite keeps
// beside it — is readable by the user alone.
func TestDataFolderIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(paths.EnvHome, home)
	log, closeLog := newLogger(true)
	log.Info("a line in the log")
	svc, err := openServices(context.Background(), log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.store.CreateConversation(context.Background(), "hello", ""); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{
		"logs": 0o700, "logs/chapel.log": 0o600, "documents": 0o700, "models": 0o700,
		"chapel.db": 0o600, "chapel.db-wal": 0o600, "chapel.db-shm": 0o600, "chapel.lock": 0o600,
	}
	for name, mode := range want {
		fi, err := os.Stat(filepath.Join(home, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s is %o, want %o", name, fi.Mode().Perm(), mode)
		}
	}
	svc.close()
	closeLog()
}
