package paths

import (
	"fmt"
	"os"
	"path/filepath"
)

// LockName is the file in the data folder that the first running Chapel
// process holds locked.
const LockName = "chapel.lock"

// Lock is this process's hold on the data folder.
type Lock struct {
	f     *os.File
	owner bool
}

// LockDataDir takes the data folder's lock file if no other Chapel process
// holds it. Owner reports whether it did: only the owner may treat work
// left running in the database (a streaming reply, a running summary) as
// abandoned by a process that died, because another live process may be
// doing it. The lock goes with the process, also when it is killed.
func LockDataDir(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data folder %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the lock file in %s: %w", dir, err)
	}
	owner, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return &Lock{f: f, owner: owner}, nil
}

// Owner reports whether this process is the only Chapel using the folder.
func (l *Lock) Owner() bool { return l != nil && l.owner }

// Release lets the next process own the folder.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the file drops the lock
	l.f = nil
	return err
}
