package engine

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc/stat's times: USER_HZ, 100 on every Linux
// architecture the app is built for.
const userHZ = 100

// readCPUSample reads, from /proc/stat, the busy time of the cores this
// process may run on (user, nice, system, irq, softirq and steal: a
// virtual machine's host taking the core counts as another program), and
// this process's CPU time from getrusage.
func readCPUSample() (cpuSample, bool) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return cpuSample{}, false
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}, false
	}
	busy, ok := busyTicks(stat, set.IsSet)
	if !ok {
		return cpuSample{}, false
	}
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return cpuSample{}, false
	}
	self := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpuSample{busy: time.Duration(busy) * time.Second / userHZ, self: self}, true
}

// busyTicks sums the busy ticks of the per-core lines ("cpuN ...") of
// /proc/stat whose core mine says is this process's; ok is false when none
// is.
func busyTicks(stat []byte, mine func(int) bool) (uint64, bool) {
	var sum uint64
	found := false
	for line := range bytes.SplitSeq(stat, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) < 9 || !bytes.HasPrefix(f[0], []byte("cpu")) || len(f[0]) == 3 {
			continue // the "cpu" total line, or another kind of line
		}
		n, err := strconv.Atoi(string(f[0][3:]))
		if err != nil || !mine(n) {
			continue
		}
		// user nice system idle iowait irq softirq steal (guest time is
		// inside user already)
		for _, i := range []int{1, 2, 3, 6, 7, 8} {
			v, err := strconv.ParseUint(string(f[i]), 10, 64)
			if err != nil {
				return 0, false
			}
			sum += v
		}
		found = true
	}
	return sum, found
}
