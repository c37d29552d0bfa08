package engine

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestBusyTicks(t *testing.T) {
	stat := []byte(`cpu  2831558 2524 269293 7351267 27309 0 10332 5334 0 0
cpu0 100 1 10 5000 20 0 3 4 7 0
cpu1 200 2 20 6000 30 0 5 6 0 0
cpu12 1000 0 0 0 0 0 0 0 0 0
intr 12345 1 2
ctxt 999
procs_running 3
`)
	tests := []struct {
		name string
		mine func(int) bool
		want uint64
		ok   bool
	}{
		{"all cores", func(int) bool { return true }, 118 + 233 + 1000, true},
		{"core 1 only", func(n int) bool { return n == 1 }, 233, true},
		{"core 12 (two digits)", func(n int) bool { return n == 12 }, 1000, true},
		{"none of them", func(n int) bool { return n == 5 }, 0, false},
	}
	for _, tc := range tests {
		got, ok := busyTicks(stat, tc.mine)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %d (%v), want %d (%v)", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := busyTicks([]byte("cpu0 1 2 x 4 5 6 7 8 9\n"), func(int) bool { return true }); ok {
		t.Error("a line with a word in it was read")
	}
}

// The real clocks: another process spinning a core is others' time, this
// process's own spinning is not. Go runs test packages side by side, so
// others may be more than the child; never less than what the child had
// in the window.
func TestCPUSensorSeesAnotherProcess(t *testing.T) {
	if _, ok := readCPUSample(); !ok {
		t.Skipf("%s does not report CPU times to the engine", runtime.GOOS)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSpin$")
	cmd.Env = append(os.Environ(), "CHAPEL_TEST_SPIN=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let it start spinning
	var childA, childB time.Duration
	a, _ := readCPUSample()
	a.at, childA = time.Now(), procCPU(t, cmd.Process.Pid)
	// This process's own load: 200 ms of this thread's CPU time, however
	// long the machine's other work makes it take.
	runtime.LockOSThread()
	spun := threadCPU(t)
	spinUntil(func() bool { return threadCPU(t)-spun >= 200*time.Millisecond })
	runtime.UnlockOSThread()
	time.Sleep(300 * time.Millisecond)
	b, _ := readCPUSample()
	b.at, childB = time.Now(), procCPU(t, cmd.Process.Pid)
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("spinning child: %v", err)
	}
	wall := b.at.Sub(a.at)
	own := b.self - a.self
	others := othersOf(a, b) * float64(wall)
	child := childB - childA
	t.Logf("window %v: own %v, others %v, the child %v", wall, own, time.Duration(others), child)
	if own < 190*time.Millisecond {
		t.Errorf("this process's CPU time grew %v while it spun 200 ms", own)
	}
	if child < 100*time.Millisecond {
		t.Fatalf("the child spun only %v of a %v window", child, wall)
	}
	// 10 ms ticks, on each core and the child's, at both ends: up to 60 ms
	// of rounding.
	if time.Duration(others) < child-60*time.Millisecond {
		t.Errorf("others %v in a %v window while a child spun %v", time.Duration(others), wall, child)
	}
}

// procCPU is process pid's CPU time (user and system ticks, /proc).
func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	var ticks uint64
	for _, v := range f[11:13] { // utime, stime (fields 14 and 15)
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ
}

// threadCPU is the calling thread's CPU time, a clock apart from the
// sensor's.
func threadCPU(t *testing.T) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ts.Nano())
}
