//go:build !darwin && !windows

package models

// platformMemory: where /proc/meminfo is missing and no other source is known.
func platformMemory() (total, available int64) { return -1, -1 }
