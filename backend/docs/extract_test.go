package docs

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
)

// extractBytes reads a file held in memory (name gives its extension)
// under the default limits.
func extractBytes(data []byte, name string) (*Document, error) {
	return Extract(context.Background(), bytes.NewReader(data), int64(len(data)), name, DefaultLimits())
}

// mustExtract reads a file held in memory, failing t on an error or a
// broken Document.
func mustExtract(t *testing.T, data []byte, name string) *Document {
	t.Helper()
	doc, err := extractBytes(data, name)
	return docstest.Extracted(t, name, doc, err)
}

// extractFile reads the file at path under the default limits, failing t
// on an error or a broken Document.
func extractFile(t testing.TB, path string) *Document {
	t.Helper()
	return docstest.ExtractFile(t, path, func(f *os.File, size int64) (*Document, error) {
		return Extract(context.Background(), f, size, path, DefaultLimits())
	})
}
