package ingest

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writtenBytes is what this process has written so far (wchar in
// /proc/self/io: every write call, whatever the file system); -1 when the
// system does not say.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "wchar: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return -1
}

// diskUsage is the space the files (not the folders) under dir take on
// disk.
func diskUsage(t *testing.T, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			}
		}
		return nil
	})
	return n
}

// TestLargeFileRefusedBeforeCopy: a 2 GB text file (sparse, so the test
// costs no disk) is refused as too large before a byte of it is copied
// into the documents folder, and quickly.
func TestLargeFileRefusedBeforeCopy(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("measures writes through /proc/self/io")
	}
	e := newEnv(t)
	path := e.write("big.txt", []byte("The start of a very large text file.\n"))
	if err := os.Truncate(path, 2<<30); err != nil {
		t.Fatal(err)
	}
	before, start := writtenBytes(), time.Now()
	var copied int64
	out, _, err := e.ingest(context.Background(), func(ev Event) {
		if ev.Phase == PhaseReading {
			copied = max(copied, ev.BytesDone)
		}
	}, path)
	took, wrote := time.Since(start), writtenBytes()-before
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("2 GB file: refused in %v, %d bytes written, %d bytes reported copied, documents folder %d bytes on disk",
		took.Round(time.Millisecond), wrote, copied, diskUsage(t, e.dir))
	if len(out.Failures) != 1 || out.Failures[0].Error != "this text file is larger than 256 MB; Chapel stops there" {
		t.Fatalf("failures %+v", out.Failures)
	}
	if copied > 0 || wrote > 1<<20 {
		t.Errorf("%d bytes copied and %d written before refusing the file", copied, wrote)
	}
	if u := diskUsage(t, e.dir); u > 0 {
		t.Errorf("the documents folder takes %d bytes", u)
	}
	if took > 2*time.Second {
		t.Errorf("refusing took %v", took)
	}
	e.checkClean()
}

// withTimeout fails the test when fn has not returned after d.
func withTimeout(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still waiting after %v", what, d)
	}
}

// TestFIFORefused: a named pipe is refused with a sentence and at once,
// whether named directly, found in a folder, swapped in after the folder
// was listed, or opened by OpenRegular; nothing waits for a writer.
func TestFIFORefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no named pipes in the file system")
	}
	e := newEnv(t)
	good := e.write("good.md", markdownFile("goodword"))
	fifo := filepath.Join(e.in, "pipe.txt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	const want = "this is not an ordinary file (it is a named pipe), so Chapel can't read it"

	withTimeout(t, 5*time.Second, "OpenRegular on a FIFO", func() {
		f, _, err := OpenRegular(fifo)
		if err == nil {
			f.Close()
			t.Error("OpenRegular opened a FIFO")
		} else if Message(err) != want {
			t.Errorf("OpenRegular: %q, want %q", Message(err), want)
		}
	})
	withTimeout(t, 5*time.Second, "copying a FIFO in", func() {
		if _, err := e.svc.copyIn(context.Background(), fifo, func(int64, int64) {}); err == nil || message(err) != want {
			t.Errorf("copyIn: %v, want %q", err, want)
		}
	})
	withTimeout(t, 5*time.Second, "detecting a FIFO's format", func() {
		if err := detect(fifo); err == nil || message(err) != want {
			t.Errorf("detect: %v, want %q", err, want)
		}
	})
	withTimeout(t, 10*time.Second, "ingesting a FIFO", func() {
		out, _, err := e.ingest(context.Background(), nil, fifo, e.in)
		if err != nil {
			t.Error(err)
			return
		}
		// Named directly: refused; in the folder: skipped.
		if len(out.Failures) != 1 || filepath.Base(out.Failures[0].File) != "pipe.txt" || !strings.Contains(out.Failures[0].Error, "ordinary file") {
			t.Errorf("failures %+v", out.Failures)
		}
		if len(out.Documents) != 1 || out.Documents[0].Name != filepath.Base(good) {
			t.Errorf("documents %+v", out.Documents)
		}
	})
	e.checkClean()
}
