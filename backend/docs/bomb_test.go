package docs

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// allocated returns the bytes fn allocates on the heap (TotalAlloc, which
// bounds how far the heap can grow while fn runs).
func allocated(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// spaces streams n bytes of the same character between a head and a tail.
func spaces(head string, n int64, tail string) io.Reader {
	fill := bytes.Repeat([]byte{' '}, 64<<10)
	var parts []io.Reader
	parts = append(parts, strings.NewReader(head))
	for n > 0 {
		k := min(n, int64(len(fill)))
		parts = append(parts, bytes.NewReader(fill[:k]))
		n -= k
	}
	return io.MultiReader(append(parts, strings.NewReader(tail))...)
}

// bombDOCX is a DOCX whose document.xml inflates to about n bytes.
func bombDOCX(t *testing.T, n int64) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range []struct {
		name string
		body io.Reader
	}{
		{"[Content_Types].xml", strings.NewReader(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)},
		{"word/document.xml", spaces(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Boom</w:t></w:r></w:p>`,
			n, `</w:body></w:document>`)},
	} {
		f, err := w.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

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
// DOCX or PDF that would inflate past the limit is refused having
// allocated next to nothing, and a large entry or stream within the limit
// costs its own size plus a small constant, not the doubling buffer's
// twice (and the copy's once more).
func TestBombMemory(t *testing.T) {
	const limit = 64 << 20
	const slack = 4 << 20
	lim := Limits{MaxInflated: limit}
	ctx := context.Background()

	t.Run("docx over the limit", func(t *testing.T) {
		data := bombDOCX(t, limit+limit/4)
		var err error
		n := allocated(func() { _, err = Extract(ctx, bytes.NewReader(data), int64(len(data)), "bomb.docx", lim) })
		var de *Error
		if !errors.As(err, &de) || de.Kind != TooLarge {
			t.Fatalf("err = %v, want too large", err)
		}
		t.Logf("a %d KB DOCX inflating to %d MB: refused, %.1f MB allocated", len(data)>>10, (limit+limit/4)>>20, float64(n)/1e6)
		if n > slack {
			t.Errorf("refusing it allocated %.1f MB, want under %d MB", float64(n)/1e6, slack>>20)
		}
	})

	t.Run("zip entry within the limit", func(t *testing.T) {
		const size = limit * 3 / 4
		data := bombDOCX(t, size)
		e := &extractor{ctx: ctx, lim: lim.withDefaults(), format: DOCX}
		z, err := openZip(e, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		n := allocated(func() { got, err = z.read("word/document.xml") })
		if err != nil || int64(len(got)) < size {
			t.Fatalf("read %d bytes, err %v", len(got), err)
		}
		t.Logf("a %d MB entry read with %.1f MB allocated", len(got)>>20, float64(n)/1e6)
		if n > uint64(len(got))+slack {
			t.Errorf("reading %d MB allocated %.1f MB, want under its size + %d MB", len(got)>>20, float64(n)/1e6, slack>>20)
		}
	})

	for _, c := range []struct {
		name string
		size int64
	}{{"pdf stream over the limit", limit + limit/4}, {"pdf stream within the limit", limit * 3 / 4}} {
		t.Run(c.name, func(t *testing.T) {
			content := spaces("BT /F1 12 Tf 72 700 Td (Boom) Tj ET\n", c.size, "\n")
			g := &pdfGen{}
			g.add("<< /Type /Catalog /Pages 2 0 R >>")
			g.add("<< /Type /Pages /Kids [4 0 R] /Count 1 /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> >>")
			g.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
			g.add("<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>")
			z := zlibOf(t, content)
			g.add(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(z), z))
			data := g.bytes(1)
			var doc *Document
			var err error
			n := allocated(func() { doc, err = Extract(ctx, bytes.NewReader(data), int64(len(data)), "bomb.pdf", lim) })
			t.Logf("a %d KB PDF whose page inflates to %d MB: err %v, %.1f MB allocated", len(data)>>10, c.size>>20, err, float64(n)/1e6)
			if c.size > limit {
				var de *Error
				if !errors.As(err, &de) || de.Kind != TooLarge {
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

// peakHeap runs fn with the collector eager (GOGC=10) and samples the live
// heap every millisecond: the most it held above where it started.
func peakHeap(fn func()) uint64 {
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak - min(base, peak)
}

// TestPDFContentArrayMemory: a page whose content is an array of streams
// is read one stream at a time, with no buffer joining them: two 24 MB
// streams peak near two streams' worth (the one read, and the one before
// until the collector takes it), not the four a doubling join buffer took.
func TestPDFContentArrayMemory(t *testing.T) {
	const part = 24 << 20
	g := &pdfGen{}
	g.add("<< /Type /Catalog /Pages 2 0 R >>")
	g.add("<< /Type /Pages /Kids [4 0 R] /Count 1 /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> >>")
	g.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	g.add("<< /Type /Page /Parent 2 0 R /Contents [5 0 R 6 0 R] >>")
	for _, text := range []string{"First", "Second"} {
		z := zlibOf(t, spaces("BT /F1 12 Tf 72 700 Td ("+text+") Tj ET\n", part, "\n"))
		g.add(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(z), z))
	}
	data := g.bytes(1)
	var doc *Document
	var err error
	peak := peakHeap(func() {
		doc, err = Extract(context.Background(), bytes.NewReader(data), int64(len(data)), "parts.pdf", Limits{MaxInflated: 64 << 20})
	})
	if err != nil || !strings.Contains(doc.Text, "First") || !strings.Contains(doc.Text, "Second") {
		t.Fatalf("err %v", err)
	}
	t.Logf("two %d MB content streams: peak heap +%.1f MB", part>>20, float64(peak)/1e6)
	if limit := uint64(3 * part); peak > limit {
		t.Errorf("peak heap +%.1f MB, want under %.1f MB", float64(peak)/1e6, float64(limit)/1e6)
	}
}
