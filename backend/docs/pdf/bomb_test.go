package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/doctext"
	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
)

// zlibOf compresses a stream.
func zlibOf(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	if _, err := io.Copy(w, r); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

// TestBombMemory: the inflation limit bounds memory, not only output. A
// PDF whose stream would inflate past the limit is refused having
// allocated next to nothing, and a large stream within the limit costs its
// own size plus a small constant, not the doubling buffer's twice (and the
// copy's once more). (The DOCX half is backend/docs' TestBombMemory.)
func TestBombMemory(t *testing.T) {
	const limit = 64 << 20
	const slack = 4 << 20
	lim := doctext.Limits{MaxInflated: limit}
	ctx := context.Background()

	for _, c := range []struct {
		name string
		size int64
	}{{"pdf stream over the limit", limit + limit/4}, {"pdf stream within the limit", limit * 3 / 4}} {
		t.Run(c.name, func(t *testing.T) {
			content := docstest.Spaces("BT /F1 12 Tf 72 700 Td (Boom) Tj ET\n", c.size, "\n")
			g := &pdfgen.File{}
			g.Add("<< /Type /Catalog /Pages 2 0 R >>")
			g.Add("<< /Type /Pages /Kids [4 0 R] /Count 1 /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> >>")
			g.Add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
			g.Add("<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>")
			z := zlibOf(t, content)
			g.Add(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(z), z))
			data := g.Bytes(1)
			var doc *doctext.Document
			var err error
			n := docstest.Allocated(func() { doc, err = Extract(ctx, bytes.NewReader(data), int64(len(data)), lim) })
			t.Logf("a %d KB PDF whose page inflates to %d MB: err %v, %.1f MB allocated", len(data)>>10, c.size>>20, err, float64(n)/1e6)
			if c.size > limit {
				var de *doctext.Error
				if !errors.As(err, &de) || de.Kind != doctext.TooLarge {
					t.Fatalf("err = %v, want too large", err)
				}
				if n > slack {
					t.Errorf("refusing it allocated %.1f MB, want under %d MB", float64(n)/1e6, slack>>20)
				}
				return
			}
			if err != nil || !strings.Contains(doc.Text, "Boom") {
				t.Fatalf("err %v", err)
			}
			// The stream once, plus the reader's own small structures.
			if n > uint64(c.size)+slack {
				t.Errorf("reading it allocated %.1f MB, want under %d MB + %d MB", float64(n)/1e6, c.size>>20, slack>>20)
			}
		})
	}
}

// TestPDFContentArrayMemory: a page whose content is an array of streams
// is read one stream at a time, with no buffer joining them: two 24 MB
// streams peak near two streams' worth (the one read, and the one before
// until the collector takes it), not the four a doubling join buffer took.
func TestPDFContentArrayMemory(t *testing.T) {
	const part = 24 << 20
	g := &pdfgen.File{}
	g.Add("<< /Type /Catalog /Pages 2 0 R >>")
	g.Add("<< /Type /Pages /Kids [4 0 R] /Count 1 /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> >>")
	g.Add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	g.Add("<< /Type /Page /Parent 2 0 R /Contents [5 0 R 6 0 R] >>")
	for _, text := range []string{"First", "Second"} {
		z := zlibOf(t, docstest.Spaces("BT /F1 12 Tf 72 700 Td ("+text+") Tj ET\n", part, "\n"))
		g.Add(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(z), z))
	}
	data := g.Bytes(1)
	var doc *doctext.Document
	var err error
	peak := docstest.PeakHeap(func() {
		doc, err = Extract(context.Background(), bytes.NewReader(data), int64(len(data)), doctext.Limits{MaxInflated: 64 << 20})
	})
	if err != nil || !strings.Contains(doc.Text, "First") || !strings.Contains(doc.Text, "Second") {
		t.Fatalf("err %v", err)
	}
	t.Logf("two %d MB content streams: peak heap +%.1f MB", part>>20, float64(peak)/1e6)
	if limit := uint64(3 * part); peak > limit {
		t.Errorf("peak heap +%.1f MB, want under %.1f MB", float64(peak)/1e6, float64(limit)/1e6)
	}
}
