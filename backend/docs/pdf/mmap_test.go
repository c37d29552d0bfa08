package pdf

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/doctext"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
)

func manyPagesPDF(n int) []byte {
	words := []string{"lamp", "keeper", "storm", "north", "ship", "log", "tide", "light", "harbour", "rock", "gull"}
	pages := make([]pdfgen.Page, n)
	for i := range pages {
		var lines []string
		for k := range 3 { // lines that differ page to page, so none reads as a running header
			lines = append(lines, fmt.Sprintf("%s %s %s %s", words[(i+k)%11], words[(i*3+k)%11], words[(i*7+k*5)%11], words[(i/11+k)%11]))
		}
		pages[i] = pdfgen.Page{Lines: lines}
	}
	return pdfgen.Simple(pages...).Bytes(1)
}

// TestPDFProgress checks the Progress hook: pages in order, ending at the
// page count, whether the file is mapped or read.
func TestPDFProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.pdf")
	if err := os.WriteFile(path, manyPagesPDF(300), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	last, calls := 0, 0
	lim := doctext.DefaultLimits()
	lim.Progress = func(done, total int) {
		calls++
		if total != 300 || done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	}
	st, _ := f.Stat()
	doc, err := Extract(context.Background(), f, st.Size(), lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Pages) != 300 || last != 300 || calls < 300 {
		t.Fatalf("%d pages, progress ended at %d after %d calls", len(doc.Pages), last, calls)
	}
}

// TestPDFFileShrinks truncates a PDF while it is read: a mapped file then
// faults, which must come back as an unreadable file, not a crash.
func TestPDFFileShrinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("files are read, not mapped, on Windows")
	}
	path := filepath.Join(t.TempDir(), "long.pdf")
	if err := os.WriteFile(path, manyPagesPDF(400), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	lim := doctext.DefaultLimits()
	lim.Progress = func(done, total int) {
		if done == 150 {
			if err := os.Truncate(path, 0); err != nil {
				t.Error(err)
			}
		}
	}
	_, err = Extract(context.Background(), f, st.Size(), lim)
	if doctext.KindOf(err) != doctext.Unreadable {
		t.Fatalf("got %v (kind %d), want the unreadable-file error", err, doctext.KindOf(err))
	}
	t.Logf("%v (%v)", err, err.(*doctext.Error).Err)
}
