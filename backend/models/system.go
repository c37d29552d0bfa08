package models

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// Memory returns the computer's total memory and what a new program can
// use now without swapping, in bytes; -1 where Chapel cannot tell (Linux
// reads /proc/meminfo; elsewhere see memory_*.go).
func Memory() (total, available int64) {
	total, available = -1, -1
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return platformMemory()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "MemTotal":
			total = kb * 1024
		case "MemAvailable":
			available = kb * 1024
		}
	}
	return total, available
}
