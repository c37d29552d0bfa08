//go:build linux

// Package testdisk gives tests a small disk of their own, to fill: a tmpfs
// mounted for the test (root only) and a way to fill it to the last byte.
package testdisk

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Small mounts a tmpfs of size bytes for the test and returns its folder;
// it skips the test when it cannot (not root, no mount). The disk goes
// when the test ends.
func Small(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("could not mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// Fill writes the file path until its disk says it is full and returns how
// many bytes it wrote.
func Fill(t testing.TB, path string) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for size := len(buf); size >= 512; {
		k, err := f.Write(buf[:size])
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			size /= 2
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}
