//go:build linux

package worker

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memSampleEvery is how often a running worker's memory is looked at.
const memSampleEvery = 250 * time.Millisecond

// memWatch follows a worker's memory while it runs, so that a SIGKILL can
// be told apart: the kernel's OOM killer did it when the oom_kill count of
// the worker's memory cgroup rose while it ran; memory may have run out
// when, at the last look, the worker was near its cgroup's limit or the
// system had almost nothing left. Any other SIGKILL came from someone else.
type memWatch struct {
	pid  int
	root string // where /proc and /sys live: "/" (tests point it elsewhere)

	mu      sync.Mutex
	cgroup  string // the worker's memory cgroup folder, as last seen
	oomBase int64  // its oom_kill count when first seen (-1: cannot tell)
	rss     int64  // the worker's resident memory at the last look
	limit   int64  // the memory it may use: its cgroup's limit or all the RAM
	avail   int64  // what was left for it at the last look (-1: cannot tell)

	stop chan struct{}
	done chan struct{}
}

// watchMemory starts following pid's memory until stopWatch.
func watchMemory(pid int) *memWatch {
	w := newMemWatch(pid, "/")
	go w.loop()
	return w
}

func newMemWatch(pid int, root string) *memWatch {
	w := &memWatch{pid: pid, root: root, oomBase: -1, avail: -1, stop: make(chan struct{}), done: make(chan struct{})}
	w.sample()
	return w
}

func (w *memWatch) loop() {
	defer close(w.done)
	t := time.NewTicker(memSampleEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.sample()
		}
	}
}

// stopWatch ends the sampling (call it once the worker has exited).
func (w *memWatch) stopWatch() {
	if w == nil {
		return
	}
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// sample looks at the worker's cgroup and memory once. A process that
// moved to another cgroup gets that one's oom_kill count as its base.
func (w *memWatch) sample() {
	cg := w.cgroupOf()
	rss := w.rssOf()
	w.mu.Lock()
	defer w.mu.Unlock()
	if cg != "" && cg != w.cgroup {
		w.cgroup = cg
		w.oomBase = oomKills(cg)
	}
	if rss <= 0 {
		return // it has exited: keep what the last look saw
	}
	w.rss = rss
	total, sysAvail := w.meminfo()
	limit, avail := total, sysAvail
	if w.cgroup != "" {
		if l, used := cgroupLimit(w.cgroup); l > 0 && (limit <= 0 || l < limit) {
			limit = l
			if a := l - used; avail < 0 || a < avail {
				avail = a
			}
		}
	}
	w.limit, w.avail = limit, avail
}

// verdict says whether the worker, killed by SIGKILL, was killed for lack
// of memory: certain when its cgroup's oom_kill count rose, likely when it
// was at the edge at the last look.
func (w *memWatch) verdict() (oomKilled, nearLimit bool) {
	if w == nil {
		return false, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cgroup != "" && w.oomBase >= 0 {
		if n := oomKills(w.cgroup); n > w.oomBase {
			return true, false
		}
	}
	if w.limit > 0 && w.rss > 0 {
		// Within 10 % of what it may use, or less than 5 % of it left.
		if w.rss*10 >= w.limit*9 || (w.avail >= 0 && w.avail*20 < w.limit) {
			return false, true
		}
	}
	return false, false
}

// cgroupOf returns the folder of the worker's memory cgroup: the cgroup v1
// memory hierarchy if there is one, else the unified (v2) one.
func (w *memWatch) cgroupOf() string {
	b, err := os.ReadFile(filepath.Join(w.root, "proc", strconv.Itoa(w.pid), "cgroup"))
	if err != nil {
		return ""
	}
	var v1, v2 string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[1] == "" && parts[0] == "0":
			v2 = parts[2]
		case hasField(parts[1], "memory"):
			v1 = parts[2]
		}
	}
	if v1 != "" {
		if d := w.mountedCgroup("memory", v1); d != "" {
			return d
		}
	}
	if v2 != "" {
		return w.mountedCgroup("", v2)
	}
	return ""
}

// mountedCgroup finds where the cgroup at path (inside its hierarchy) is
// mounted: the v1 hierarchy with controller, or the v2 one (controller "").
func (w *memWatch) mountedCgroup(controller, path string) string {
	f, err := os.Open(filepath.Join(w.root, "proc", "self", "mountinfo"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options … - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(after) < 3 {
			continue
		}
		fstype, super := after[0], after[2]
		if controller == "" && fstype != "cgroup2" || controller != "" && (fstype != "cgroup" || !hasField(super, controller)) {
			continue
		}
		mount, mroot := filepath.Join(w.root, fields[4]), fields[3]
		rel := strings.TrimPrefix(path, mroot) // a cgroup namespace shows paths below its root
		for _, dir := range []string{filepath.Join(mount, rel), filepath.Join(mount, path)} {
			if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
				return dir
			}
		}
	}
	return ""
}

func hasField(list, want string) bool {
	for _, f := range strings.Split(list, ",") {
		if f == want {
			return true
		}
	}
	return false
}

// oomKills reads how many processes the OOM killer ended in the cgroup
// (v2: memory.events; v1: memory.oom_control), -1 when it cannot tell.
func oomKills(dir string) int64 {
	for _, name := range []string{"memory.events", "memory.oom_control"} {
		if n, ok := keyedValue(filepath.Join(dir, name), "oom_kill"); ok {
			return n
		}
	}
	return -1
}

// cgroupLimit returns the cgroup's memory limit (0: none) and use.
func cgroupLimit(dir string) (limit, used int64) {
	for _, pair := range [][2]string{{"memory.max", "memory.current"}, {"memory.limit_in_bytes", "memory.usage_in_bytes"}} {
		b, err := os.ReadFile(filepath.Join(dir, pair[0]))
		if err != nil {
			continue
		}
		l, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || l >= 1<<62 { // "max", or v1's huge "unlimited"
			return 0, 0
		}
		if b, err := os.ReadFile(filepath.Join(dir, pair[1])); err == nil {
			used, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		}
		return l, used
	}
	return 0, 0
}

// rssOf reads the worker's resident memory in bytes (0: it is gone).
func (w *memWatch) rssOf() int64 {
	b, err := os.ReadFile(filepath.Join(w.root, "proc", strconv.Itoa(w.pid), "statm"))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// meminfo returns the system's RAM and what it can still give (-1: unknown).
func (w *memWatch) meminfo() (total, avail int64) {
	total, avail = -1, -1
	path := filepath.Join(w.root, "proc", "meminfo")
	if n, ok := keyedValue(path, "MemTotal:"); ok {
		total = n << 10
	}
	if n, ok := keyedValue(path, "MemAvailable:"); ok {
		avail = n << 10
	}
	return total, avail
}

// keyedValue reads the number after key in a "key value [unit]" file.
func keyedValue(path, key string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == key {
			n, err := strconv.ParseInt(f[1], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
