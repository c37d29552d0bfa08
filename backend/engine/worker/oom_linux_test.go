//go:build linux

package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
)

// TestOOMKillIsReported runs a worker in a memory cgroup of its own with a
// 64 MB limit and lets it eat memory: the kernel's OOM killer ends it, and
// the error says it was for lack of memory.
func TestOOMKillIsReported(t *testing.T) {
	cg := limitedCgroup(t, 64<<20)
	client, sp := newClient(t)
	// The worker moves itself into the cgroup, waits until the watcher has
	// seen it there (the test says so with a file: a fixed pause lost that
	// race on a loaded machine, and a v1 cgroup's parent does not count
	// its children's OOM kills), then eats memory.
	seen := filepath.Join(t.TempDir(), "seen")
	sp.args = []string{"/bin/sh", "-c", fmt.Sprintf(`echo $$ > %s/cgroup.procs && while [ ! -e %s ]; do sleep 0.02; done && %s=1 exec %s -test.run=^$`,
		cg, seen, envHog, os.Args[0])}
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer os.WriteFile(seen, nil, 0o644) // let it go on, seen or not, rather than hang
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case <-done:
				return
			default:
			}
			if watchedCgroup(client) == cg {
				return
			}
		}
	}()
	_, err := client.Load(context.Background(), tinyPlain(t), testOpts)
	want := "the engine stopped: killed by signal 9 (killed), for lack of memory"
	if err == nil || !strings.HasPrefix(err.Error(), want) || apperr.CodeOf(err) != apperr.Internal {
		t.Errorf("err = %v\nwant %s…", err, want)
	}
}

// watchedCgroup is the memory cgroup the client's worker is watched in ("" before it runs).
func watchedCgroup(c *Client) string {
	c.mu.Lock()
	p := c.proc
	c.mu.Unlock()
	if p == nil || p.mem == nil {
		return ""
	}
	p.mem.mu.Lock()
	defer p.mem.mu.Unlock()
	return p.mem.cgroup
}

// limitedCgroup makes a memory cgroup below this process's own (cgroup v1
// or v2) with the given limit, removed at the end; it skips the test where
// cgroups cannot be made (not root, no memory controller).
func limitedCgroup(t *testing.T, limit int64) string {
	t.Helper()
	own := newMemWatch(os.Getpid(), "/").cgroup
	if own == "" {
		t.Skip("no memory cgroup found for this process")
	}
	dir := filepath.Join(own, "chapel-oom-test-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a memory cgroup (%v): the out-of-memory report is not tested", err)
	}
	t.Cleanup(func() {
		// Processes leave it when they end; retry while the last one is reaped.
		for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	n := []byte(strconv.FormatInt(limit, 10))
	switch {
	case fileExists(filepath.Join(dir, "memory.max")):
		if err := os.WriteFile(filepath.Join(dir, "memory.max"), n, 0); err != nil {
			t.Skipf("cannot limit the cgroup: %v", err)
		}
		os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0)
	case fileExists(filepath.Join(dir, "memory.limit_in_bytes")):
		if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), n, 0); err != nil {
			t.Skipf("cannot limit the cgroup: %v", err)
		}
		os.WriteFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), n, 0) // no escape into swap
	default:
		t.Skip("the cgroup has no memory limit file (memory controller not enabled)")
	}
	return dir
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestMemWatchVerdict reads cgroup v1 and v2 layouts written into a
// folder standing in for / and tells the OOM killer from other kills.
func TestMemWatchVerdict(t *testing.T) {
	const gib = 1 << 30
	page := int64(os.Getpagesize())
	cases := []struct {
		name      string
		v2        bool
		limit     string // the cgroup's limit file
		usage     int64
		rss       int64
		availKB   int64 // MemAvailable
		oomBefore int64
		oomAfter  int64
		oom, near bool
	}{
		{"v1: the OOM killer counted a kill", false, "9223372036854771712", 1 * gib, 1 * gib, 8 << 20, 0, 1, true, false},
		{"v2: the OOM killer counted a kill", true, "max", 1 * gib, 1 * gib, 8 << 20, 3, 4, true, false},
		{"v1: killed by someone else, plenty of memory", false, "9223372036854771712", 1 * gib, 1 * gib, 8 << 20, 2, 2, false, false},
		{"v2: killed by someone else, plenty of memory", true, "max", 1 * gib, 1 * gib, 8 << 20, 0, 0, false, false},
		{"v2: at its cgroup's limit", true, strconv.Itoa(2 * gib), 2*gib - 1<<20, 1900 << 20, 8 << 20, 0, 0, false, true},
		{"v1: at its cgroup's limit", false, strconv.Itoa(2 * gib), 2*gib - 1<<20, 1900 << 20, 8 << 20, 0, 0, false, true},
		{"system nearly out of memory", true, "max", 0, 14 * gib, 200 << 10, 0, 0, false, true},
		{"cgroup with room to spare", true, strconv.Itoa(4 * gib), 1 * gib, 1 * gib, 8 << 20, 0, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			const pid = 4242
			cg := "/user.slice/chapel"
			write := func(path, text string) {
				p := filepath.Join(root, path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write(fmt.Sprintf("proc/%d/statm", pid), fmt.Sprintf("%d %d 100 10 0 50 0\n", c.rss/page*2, c.rss/page))
			write("proc/meminfo", fmt.Sprintf("MemTotal:       %d kB\nMemFree:  1 kB\nMemAvailable:   %d kB\n", 16*gib>>10, c.availKB))
			var dir, events string
			if c.v2 {
				write(fmt.Sprintf("proc/%d/cgroup", pid), "0::"+cg+"\n")
				write("proc/self/mountinfo", "25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n")
				dir = "sys/fs/cgroup" + cg
				events = "memory.events"
				write(dir+"/memory.max", c.limit+"\n")
				write(dir+"/memory.current", strconv.FormatInt(c.usage, 10)+"\n")
			} else {
				write(fmt.Sprintf("proc/%d/cgroup", pid), "5:cpu:/\n4:memory:"+cg+"\n0::/\n")
				write("proc/self/mountinfo", "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"+
					"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"+
					"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
				dir = "sys/fs/cgroup/memory" + cg
				events = "memory.oom_control"
				write(dir+"/memory.limit_in_bytes", c.limit+"\n")
				write(dir+"/memory.usage_in_bytes", strconv.FormatInt(c.usage, 10)+"\n")
			}
			counter := func(n int64) string {
				if c.v2 {
					return fmt.Sprintf("low 0\nhigh 0\nmax 2\noom 1\noom_kill %d\noom_group_kill 0\n", n)
				}
				return fmt.Sprintf("oom_kill_disable 0\nunder_oom 0\noom_kill %d\n", n)
			}
			write(dir+"/"+events, counter(c.oomBefore))
			w := newMemWatch(pid, root)
			if w.cgroup != filepath.Join(root, dir) {
				t.Fatalf("cgroup = %q, want %q", w.cgroup, filepath.Join(root, dir))
			}
			// The worker dies: its /proc entry goes, the counter may rise.
			os.RemoveAll(filepath.Join(root, "proc", strconv.Itoa(pid)))
			write(dir+"/"+events, counter(c.oomAfter))
			w.sample()
			if oom, near := w.verdict(); oom != c.oom || near != c.near {
				t.Errorf("verdict = oom %v, near %v; want %v, %v (rss %d, limit %d, avail %d)", oom, near, c.oom, c.near, w.rss, w.limit, w.avail)
			}
		})
	}
}
