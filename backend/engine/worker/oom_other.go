//go:build !linux

package worker

// memWatch would follow a worker's memory; outside Linux Chapel cannot
// tell the system's out-of-memory killer from another kill.
type memWatch struct{}

func watchMemory(pid int) *memWatch { return nil }

func (w *memWatch) stopWatch() {}

func (w *memWatch) verdict() (oomKilled, nearLimit bool) { return false, false }
