package paths

import (
	"fmt"
	"os"
	"path/filepath"
)

// LocksName is the folder in the data folder that holds the per-conversation
// lock files.
const LocksName = "locks"

// TryLockConversation takes the lock that one Chapel process holds while it
// writes a reply in conversation id, so that two processes (the window and
// a CLI command, two CLI commands) never take turns in one conversation at
// once. ok is false when another process holds it. The lock goes with the
// process, also when it is killed; release drops it.
func TryLockConversation(home string, id int64) (release func(), ok bool, err error) {
	dir := filepath.Join(home, LocksName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create the lock folder %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("conversation-%d.lock", id)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("open the lock of conversation %d: %w", id, err)
	}
	ok, err = tryLock(f)
	if err != nil || !ok {
		f.Close()
		if err != nil {
			return nil, false, fmt.Errorf("lock conversation %d: %w", id, err)
		}
		return nil, false, nil
	}
	return func() { f.Close() }, true, nil // closing the file drops the lock
}
