package models

import "golang.org/x/sys/unix"

// platformMemory reads hw.memsize; macOS has no cheap "available" figure.
func platformMemory() (total, available int64) {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return -1, -1
	}
	return int64(n), -1
}
