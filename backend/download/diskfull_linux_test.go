package download

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/download/dltest"
	"github.com/chapelapp/chapel/backend/testdisk"
)

func TestDiskFull(t *testing.T) {
	dir := testdisk.Small(t, 2<<20)
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
