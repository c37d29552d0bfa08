package pdf

import (
	"bytes"
	"context"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/doctext"
	"github.com/chapelapp/chapel/backend/docs/internal/docstest"

	"github.com/chapelapp/chapel/backend/docs/pdfgen"
)

// FuzzPDF reads fuzz input as a PDF: any error is fine, and a success must
// keep the Document's invariants, within 10 s.
func FuzzPDF(f *testing.F) {
	g := pdfgen.Simple(pdfgen.Page{Lines: []string{"Hello, world.", "", "(Second) paragraph \\ here"}}, pdfgen.Page{Lines: []string{"Page two"}})
	f.Add(g.Bytes(1))
	f.Add(g.Compact(1))
	f.Add(pdfgen.Fonts())
	f.Add(encryptedPDF(true, false))
	f.Add(encryptedPDF(true, true))
	f.Add(encryptedPDF(false, false))
	f.Fuzz(func(t *testing.T, data []byte) {
		docstest.Fuzz(t, "fuzz.pdf", func() (*doctext.Document, error) {
			return Extract(context.Background(), bytes.NewReader(data), int64(len(data)), docstest.FuzzLimits())
		})
	})
}
