package docs

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
)

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
		{"word/document.xml", docstest.Spaces(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Boom</w:t></w:r></w:p>`,
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

// TestBombMemory: the inflation limit bounds memory, not only output. A
// DOCX that would inflate past the limit is refused having allocated next
// to nothing, and a large entry within the limit costs its own size plus a
// small constant, not the doubling buffer's twice (and the copy's once
// more). (The PDF half is backend/docs/pdf's TestBombMemory.)
func TestBombMemory(t *testing.T) {
	const limit = 64 << 20
	const slack = 4 << 20
	lim := Limits{MaxInflated: limit}
	ctx := context.Background()

	t.Run("docx over the limit", func(t *testing.T) {
		data := bombDOCX(t, limit+limit/4)
		var err error
		n := docstest.Allocated(func() { _, err = Extract(ctx, bytes.NewReader(data), int64(len(data)), "bomb.docx", lim) })
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
		e := &extractor{ctx: ctx, lim: lim.WithDefaults(), format: DOCX}
		z, err := openZip(e, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		n := docstest.Allocated(func() { got, err = z.read("word/document.xml") })
		if err != nil || int64(len(got)) < size {
			t.Fatalf("read %d bytes, err %v", len(got), err)
		}
		t.Logf("a %d MB entry read with %.1f MB allocated", len(got)>>20, float64(n)/1e6)
		if n > uint64(len(got))+slack {
			t.Errorf("reading %d MB allocated %.1f MB, want under its size + %d MB", len(got)>>20, float64(n)/1e6, slack>>20)
		}
	})
}
