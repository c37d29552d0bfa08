package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A PDF cut short is stored with what it announces and whether its page tree
// was lost; the whole file with neither warning.
func TestIngestTruncatedPDF(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus(t), "R-intro.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whole := filepath.Join(dir, "R-intro.pdf")
	cut := filepath.Join(dir, "R-intro-cut.pdf")
	if err := os.WriteFile(whole, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, data[:len(data)*3/100], 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	out, _, err := e.ingest(context.Background(), nil, whole, cut)
	if err != nil || len(out.Failures) > 0 || len(out.Documents) != 2 {
		t.Fatalf("err %v, failures %+v, %d documents", err, out.Failures, len(out.Documents))
	}
	w, c := out.Documents[0], out.Documents[1]
	if w.Pages != 113 || w.PagesAnnounced != 113 || w.PagesLost {
		t.Errorf("whole: %d pages, announced %d, lost %v", w.Pages, w.PagesAnnounced, w.PagesLost)
	}
	if c.Pages == 0 || c.Pages >= 113 || !c.PagesLost {
		t.Errorf("cut: %d pages, announced %d, lost %v", c.Pages, c.PagesAnnounced, c.PagesLost)
	}
	stored, err := e.st.GetDocument(context.Background(), c.ID)
	if err != nil || stored.PagesLost != c.PagesLost || stored.PagesAnnounced != c.PagesAnnounced || stored.Pages != c.Pages {
		t.Errorf("stored %+v, %v; ingest reported %+v", stored, err, c)
	}
	e.checkDocument(c)
}
