package paths

import "testing"

// TestLockDataDir: the first holder owns the folder; another process does
// not while it holds it, and does once it is released. (flock locks belong
// to open files, so a second open in this process is refused too.)
func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	first, err := LockDataDir(dir)
	if err != nil || !first.Owner() {
		t.Fatalf("first lock: owner=%v err=%v", first.Owner(), err)
	}
	second, err := LockDataDir(dir)
	if err != nil || second.Owner() {
		t.Fatalf("second lock while the first holds it: owner=%v err=%v", second.Owner(), err)
	}
	second.Release()
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	third, err := LockDataDir(dir)
	if err != nil || !third.Owner() {
		t.Fatalf("lock after release: owner=%v err=%v", third.Owner(), err)
	}
	third.Release()
}
