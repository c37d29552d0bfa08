//go:build unix

package paths

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestPrivateDirs: under umask 022, in an existing 0755 data folder with
// an existing 0755 logs/ and a 0644 log, the folders Chapel keeps come out
// 0700 and the log 0600; a fresh data folder is 0700 too.
func TestPrivateDirs(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(home, LogsName), 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(home, LogsName, "chapel.log")
	if err := os.WriteFile(logPath, []byte("old lines\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDirs(home); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{DocumentsName, ModelsName, LogsName} {
		if m := mode(t, filepath.Join(home, name)); m != 0o700 {
			t.Errorf("%s/ is %o, want 700", name, m)
		}
	}
	f, err := PrivateFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if m := mode(t, logPath); m != 0o600 {
		t.Errorf("the log is %o, want 600", m)
	}
	newLog := filepath.Join(home, LogsName, "new.log")
	if f, err := PrivateFile(newLog); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	if m := mode(t, newLog); m != 0o600 {
		t.Errorf("a new log is %o, want 600", m)
	}
	if m := mode(t, home); m != 0o755 {
		t.Errorf("the existing data folder became %o; it is the user's to set", m)
	}
	fresh := filepath.Join(t.TempDir(), "a", "Chapel")
	if err := PrivateDirs(fresh); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, fresh); m != 0o700 {
		t.Errorf("a new data folder is %o, want 700", m)
	}
}
