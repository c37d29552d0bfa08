//go:build unix

package ingest

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDocumentsFolderIsPrivate: under umask 022, with a documents/ folder
// an earlier version left 0755, adding a document leaves the folder and
// its hash folders 0700 and the stored copy 0600.
func TestDocumentsFolderIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	e := newEnv(t)
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(e.dir, 0o755)
	out, _, err := e.ingest(context.Background(), nil, e.write("a.md", markdownFile("privateword")))
	if err != nil || len(out.Documents) != 1 {
		t.Fatalf("%v %+v", err, out)
	}
	n := 0
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s is %o, want %o", p, fi.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n != 3 {
		t.Errorf("%d entries under documents/, want the folder, a hash folder and the copy", n)
	}
}
