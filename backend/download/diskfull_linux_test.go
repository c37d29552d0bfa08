package download

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/download/dltest"
)

// smallDisk mounts a 2 MB tmpfs (root only) and returns its folder.
func smallDisk(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

func TestDiskFull(t *testing.T) {
	dir := smallDisk(t)
	data := payload(3 << 20)

	// The size is known: refused before a byte is fetched.
	srv, url := serve(t, data, dltest.Faults{})
	_, err := Run(context.Background(), Request{URL: url, Dir: dir, File: "model.gguf"}, fast, nil)
	if err == nil || !strings.Contains(apperr.Message(err), "not enough free disk space") {
		t.Fatalf("err = %v", err)
	}
	if srv.Gets() != 0 {
		t.Errorf("%d GETs before the disk check refused", srv.Gets())
	}

	// The server states no size: the write fails with ENOSPC, said plainly.
	_, url = serve(t, data, dltest.Faults{NoHashHeads: true, NoHEAD: true})
	o := fast
	o.DiskFree = func(string) (int64, error) { return -1, nil } // the server's Content-Length is all we would know
	_, err = Run(context.Background(), Request{URL: url, Dir: dir, File: "model.gguf"}, o, nil)
	if err == nil || !strings.Contains(apperr.Message(err), "the disk is full") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.gguf")); err == nil {
		t.Error("a partial file was renamed into place")
	}
}
