package pdf

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/doctext"
	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
)

// BenchmarkExtractRIntro measures PDF extraction speed on the 113-page
// R manual: MB/s of file and pages per second.
func BenchmarkExtractRIntro(b *testing.B) {
	data, err := os.ReadFile(docstest.CorpusFile(b, "R-intro.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	pages := 0
	for b.Loop() {
		doc, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), doctext.DefaultLimits())
		if err != nil {
			b.Fatal(err)
		}
		pages += len(doc.Pages)
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}
