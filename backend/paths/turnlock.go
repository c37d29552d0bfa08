package paths

import (
	"fmt"
	"os"
	"path/filepath"
)

// LocksName is the folder in the data folder that holds the per-conversation
// and per-summary lock files.
const LocksName = "locks"

// TryLockConversation takes the lock that one Chapel process holds while it
// writes a reply in conversation id, so that two processes (the window and
// a CLI command, two CLI commands) never take turns in one conversation at
// once. ok is false when another process holds it. The lock goes with the
// process, also when it is killed; release drops it.
func TryLockConversation(home string, id int64) (release func(), ok bool, err error) {
	return tryLockNamed(home, fmt.Sprintf("conversation-%d.lock", id), fmt.Sprintf("conversation %d", id))
}

// TryLockSummary takes the lock that one Chapel process holds while it
// makes summary id (a document in a style with a model), so that two
// processes never make the same summary at once, each doing every step.
// ok is false when another process holds it; like TryLockConversation's,
// the lock goes with the process, also when it is killed.
func TryLockSummary(home string, id int64) (release func(), ok bool, err error) {
	return tryLockNamed(home, fmt.Sprintf("summary-%d.lock", id), fmt.Sprintf("summary %d", id))
}

func tryLockNamed(home, name, what string) (release func(), ok bool, err error) {
	dir := filepath.Join(home, LocksName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create the lock folder %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("open the lock of %s: %w", what, err)
	}
	ok, err = tryLock(f)
	if err != nil || !ok {
		f.Close()
		if err != nil {
			return nil, false, fmt.Errorf("lock %s: %w", what, err)
		}
		return nil, false, nil
	}
	return func() { f.Close() }, true, nil // closing the file drops the lock
}
