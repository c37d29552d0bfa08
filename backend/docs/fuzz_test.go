package docs

import (
	"bytes"
	"context"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
)

// fuzzExtract runs Extract on fuzz input: any error is fine except a
// recovered panic, and a success must keep the Document's invariants.
func fuzzExtract(t *testing.T, data []byte, name string) {
	docstest.Fuzz(t, name, func() (*Document, error) {
		return Extract(context.Background(), bytes.NewReader(data), int64(len(data)), name, docstest.FuzzLimits())
	})
}

func FuzzZip(f *testing.F) {
	f.Add(docxFixture(), uint8(0))
	f.Add(odtFixture(), uint8(1))
	f.Add(epubFixture(), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		fuzzExtract(t, data, []string{"fuzz.docx", "fuzz.odt", "fuzz.epub"}[kind%3])
	})
}

func FuzzHTML(f *testing.F) {
	f.Add(htmlFixture())
	f.Add([]byte(xhtml("T", fixtureBlocks)))
	f.Add([]byte("<table><tr><td>a<td>b<tr><td>c</table><pre>x\n y</pre><h2>h</h2>"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzExtract(t, data, "fuzz.html") })
}

func FuzzRTF(f *testing.F) {
	f.Add(rtfFixture())
	f.Add([]byte(`{\rtf1\ansi\uc2 \u8364\'80\'80 x\bin3 abc{\*\x y}\par}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzExtract(t, data, "fuzz.rtf") })
}

func FuzzText(f *testing.F) {
	f.Add([]byte("Première ligne\r\n\r\nDeuxième"), false)
	f.Add([]byte("\xff\xfeh\x00i\x00"), false)
	f.Add(markdownFixture(), true)
	f.Fuzz(func(t *testing.T, data []byte, md bool) {
		name := "fuzz.txt"
		if md {
			name = "fuzz.md"
		}
		fuzzExtract(t, data, name)
	})
}
