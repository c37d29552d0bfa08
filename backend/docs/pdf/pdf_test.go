package pdf

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"encoding/ascii85"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/doctext"
	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
)

// extractBytes reads a PDF held in memory under the default limits.
func extractBytes(data []byte) (*doctext.Document, error) {
	return Extract(context.Background(), bytes.NewReader(data), int64(len(data)), doctext.DefaultLimits())
}

// mustExtract reads a PDF held in memory (name says which in a failure),
// failing t on an error or a broken Document.
func mustExtract(t *testing.T, data []byte, name string) *doctext.Document {
	t.Helper()
	doc, err := extractBytes(data)
	return docstest.Extracted(t, name, doc, err)
}

func TestPDFPagesAndParagraphs(t *testing.T) {
	g := pdfgen.Simple(
		pdfgen.Page{Lines: []string{"First paragraph, line one", "and line two.", "", "Second paragraph (with parens)."}},
		pdfgen.Page{Lines: []string{"Page two text.", "Caf\xe9 \x93quoted\x94 \x96 dash"}},
	)
	for name, data := range map[string][]byte{"table": g.Bytes(1), "xref stream": g.Compact(1)} {
		t.Run(name, func(t *testing.T) {
			doc := mustExtract(t, data, "a.pdf")
			want := "First paragraph, line one\nand line two.\n\nSecond paragraph (with parens).\fPage two text.\nCafé “quoted” – dash"
			if doc.Text != want {
				t.Errorf("text = %q\nwant %q", doc.Text, want)
			}
			if len(doc.Pages) != 2 || doc.Text[doc.Pages[1].Start:doc.Pages[1].End] != "Page two text.\nCafé “quoted” – dash" {
				t.Errorf("pages = %+v", doc.Pages)
			}
			got := docstest.Paragraphs(doc)
			if len(got) != 3 || got[1] != "Second paragraph (with parens)." {
				t.Errorf("paragraphs = %q", got)
			}
			if doc.Format != doctext.PDF || doc.PageAt(doc.Pages[1].Start+3) != 2 {
				t.Errorf("format %q, PageAt = %d", doc.Format, doc.PageAt(doc.Pages[1].Start+3))
			}
		})
	}
}

func TestPDFIncrementalUpdate(t *testing.T) {
	g := pdfgen.Simple(pdfgen.Page{Lines: []string{"Old text."}})
	base := g.Bytes(1)
	// Append an update replacing the content stream (object 4).
	startxref := bytes.LastIndex(base, []byte("startxref"))
	var prev int
	fmt.Sscanf(string(base[startxref+len("startxref"):]), "%d", &prev)
	var b bytes.Buffer
	b.Write(base)
	off := b.Len()
	content := pdfgen.Page{Lines: []string{"New text."}}.Content()
	fmt.Fprintf(&b, "4 0 obj\n%s\nendobj\n", pdfgen.Stream("", []byte(content)))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n4 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", off, g.Len()+1, prev, xref)
	doc := mustExtract(t, b.Bytes(), "u.pdf")
	if doc.Text != "New text." {
		t.Errorf("text = %q, want the updated text", doc.Text)
	}
}

func TestPDFBrokenXref(t *testing.T) {
	good := pdfgen.Simple(pdfgen.Page{Lines: []string{"Rebuilt from a scan."}}).Bytes(1)
	cases := map[string][]byte{
		// Every offset shifted: the table points at the wrong bytes.
		"wrong offsets": bytes.Replace(good, []byte(" 00000 n \n"), []byte(" 00000 n \n"), -1),
		"no startxref":  good[:bytes.LastIndex(good, []byte("startxref"))],
		"garbage xref":  append(append([]byte{}, good[:bytes.LastIndex(good, []byte("xref"))]...), "xref\nnonsense\n"...),
		"junk before":   append([]byte("some junk\n"), good...),
	}
	// Shift every xref offset by 7.
	var shifted bytes.Buffer
	for _, line := range strings.SplitAfter(string(good), "\n") {
		var off int
		if len(line) == 20 && strings.HasSuffix(line, " 00000 n \n") {
			fmt.Sscanf(line, "%d", &off)
			fmt.Fprintf(&shifted, "%010d 00000 n \n", off+7)
			continue
		}
		shifted.WriteString(line)
	}
	cases["wrong offsets"] = shifted.Bytes()
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			doc := mustExtract(t, data, "b.pdf")
			if doc.Text != "Rebuilt from a scan." {
				t.Errorf("text = %q", doc.Text)
			}
		})
	}
}

// encryptedPDF builds a PDF with an /Encrypt dictionary: RC4 (revision
// 3, 128-bit) or AES (revision 4, AESV2 crypt filter). With an empty user
// password the content is really encrypted and Chapel can read it;
// otherwise /U does not match and it must refuse.
func encryptedPDF(emptyUserPassword, useAES bool) []byte {
	id := []byte("0123456789abcdef")
	o := bytes.Repeat([]byte{0x42}, 32)
	p := uint32(0xFFFFF0C4)
	r := 3
	if useAES {
		r = 4
	}
	key := standardKey(o, p, id, r, 16, true)
	u := append(userHash(key, id, r), make([]byte, 16)...)
	if !emptyUserPassword {
		u = bytes.Repeat([]byte{7}, 32)
	}
	enc := func(num int, data []byte) []byte {
		h := md5.New()
		h.Write(key)
		h.Write([]byte{byte(num), 0, 0, 0, 0})
		if useAES {
			h.Write([]byte("sAlT"))
			block, _ := aes.NewCipher(h.Sum(nil)[:16])
			pad := 16 - len(data)%16
			plain := append(append([]byte{}, data...), bytes.Repeat([]byte{byte(pad)}, pad)...)
			iv := []byte("fixed IV 16bytes")
			out := make([]byte, len(plain))
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, plain)
			return append(iv, out...)
		}
		ci, _ := rc4.NewCipher(h.Sum(nil)[:16])
		out := make([]byte, len(data))
		ci.XORKeyStream(out, data)
		return out
	}
	g := &pdfgen.File{}
	g.Add("<< /Type /Catalog /Pages 2 0 R >>")
	g.Add("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792] >>")
	g.Add("<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	g.Add(pdfgen.Stream("", enc(4, []byte(pdfgen.Page{Lines: []string{"Secret but readable."}}.Content()))))
	g.Add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	filter := "/V 2 /R 3 /Length 128"
	if useAES {
		filter = "/V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /Length 16 >> >> /StmF /StdCF /StrF /StdCF"
	}
	encNum := g.Add(fmt.Sprintf("<< /Filter /Standard %s /O <%x> /U <%x> /P %d >>", filter, o, u, int32(p)))
	g.Trailer = fmt.Sprintf("/Encrypt %d 0 R /ID [<%x> <%x>]", encNum, id, id)
	return g.Bytes(1)
}

func TestPDFEncrypted(t *testing.T) {
	for _, useAES := range []bool{false, true} {
		_, err := extractBytes(encryptedPDF(false, useAES))
		if doctext.KindOf(err) != doctext.Encrypted || err.Error() != "this PDF is password-protected" {
			t.Errorf("aes=%v: err = %v (kind %d), want the password-protected error", useAES, err, doctext.KindOf(err))
		}
		doc := mustExtract(t, encryptedPDF(true, useAES), "owner-only.pdf")
		if doc.Text != "Secret but readable." {
			t.Errorf("aes=%v, empty user password: text = %q", useAES, doc.Text)
		}
	}
}

func TestPDFTwoColumns(t *testing.T) {
	var left, right []string
	for i := 0; i < 12; i++ {
		left = append(left, fmt.Sprintf("left column line %d goes here", i))
		right = append(right, fmt.Sprintf("right column line %d goes here", i))
	}
	var c strings.Builder
	c.WriteString("BT /F1 16 Tf 200 770 Td (A Title Across Both Columns) Tj ET\n")
	for i := range left { // interleaved in the content, as many producers do
		y := 740 - float64(i)*12
		fmt.Fprintf(&c, "BT /F1 10 Tf 72 %g Td (%s) Tj ET\n", y, left[i])
		fmt.Fprintf(&c, "BT /F1 10 Tf 320 %g Td (%s) Tj ET\n", y, right[i])
	}
	doc := mustExtract(t, pdfgen.Simple(pdfgen.Page{Extra: c.String()}).Bytes(1), "cols.pdf")
	want := "A Title Across Both Columns\n\n" + strings.Join(left, "\n") + "\n\n" + strings.Join(right, "\n")
	if doc.Text != want {
		t.Errorf("text = %q\nwant %q", doc.Text, want)
	}
}

func TestPDFHyphenationAndRunningLines(t *testing.T) {
	var pages []pdfgen.Page
	for i := 1; i <= 6; i++ {
		pages = append(pages, pdfgen.Page{Lines: []string{
			fmt.Sprintf("Annual Report %d", 2020+i%2), // a running header (digits differ)
			"", "",
			fmt.Sprintf("Body of page %d has an exam-", i),
			"ple of hyphenation and a well-",
			"Known compound.",
			"", "", "", "",
			fmt.Sprintf("Page %d of 6", i),
		}})
	}
	doc := mustExtract(t, pdfgen.Simple(pages...).Bytes(1), "r.pdf")
	if strings.Contains(doc.Text, "Annual") || strings.Contains(doc.Text, "of 6") {
		t.Errorf("running header or footer kept: %q", doc.Text)
	}
	if !strings.Contains(doc.Text, "Body of page 3 has an example of hyphenation and a well-\nKnown compound.") {
		t.Errorf("hyphenation: %q", doc.Text[doc.Pages[2].Start:doc.Pages[2].End])
	}
	if len(doc.Pages) != 6 {
		t.Errorf("pages = %d", len(doc.Pages))
	}
}

// TestPDFRunningLinesGoRepeatsStay: on pages that share a running header
// and footer, those are dropped while a paragraph repeated in the body
// stays as often as it is written.
func TestPDFRunningLinesGoRepeatsStay(t *testing.T) {
	var pages []pdfgen.Page
	for i := 1; i <= 5; i++ {
		pages = append(pages, pdfgen.Page{Lines: []string{
			"The Minutes of the Society", "", "",
			fmt.Sprintf("Meeting %d opened with the usual question.", i), "", "",
			"Agreed.", "", "", "Agreed.", "", "", "Agreed.", "", "", "", "",
			fmt.Sprintf("Page %d", i),
		}})
	}
	doc := mustExtract(t, pdfgen.Simple(pages...).Bytes(1), "minutes.pdf")
	if strings.Contains(doc.Text, "Minutes of the Society") || strings.Contains(doc.Text, "Page ") {
		t.Errorf("running header or footer kept: %q", doc.Text)
	}
	for _, p := range doc.Pages {
		if got := strings.Count(doc.Text[p.Start:p.End], "Agreed."); got != 3 {
			t.Errorf("page %d has %d × Agreed., want 3: %q", p.Number, got, doc.Text[p.Start:p.End])
		}
	}
}

// TestPDFFonts covers a Type0 Identity-H font with a ToUnicode CMap
// (bfchar, bfrange with an array), a simple font with /Differences, and a
// form XObject.
func TestPDFFonts(t *testing.T) {
	doc := mustExtract(t, pdfgen.Fonts(), "fonts.pdf")
	want := "Hellmo😀\nfié☺ ok\n\nInside a form"
	if doc.Text != want {
		t.Errorf("text = %q, want %q", doc.Text, want)
	}
	if len(doc.Sections) != 1 || doc.Sections[0].Title != "Greeting" || doc.Sections[0].Page != 1 || doc.Title != "Greeting" {
		t.Errorf("sections = %+v, title %q", doc.Sections, doc.Title)
	}
}

func TestPDFFilters(t *testing.T) {
	// The LZW example of the PDF specification.
	got, err := lzwDecode([]byte{0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01}, true, 1<<20)
	if err != nil || string(got) != "\x2d\x2d\x2d\x2d\x2d\x41\x2d\x2d\x2d\x42" {
		t.Errorf("lzw = %x, %v", got, err)
	}
	a85 := make([]byte, ascii85.MaxEncodedLen(13))
	a85 = a85[:ascii85.Encode(a85, []byte("Hello, world!"))]
	if got := ascii85Decode(append(a85, "~>"...)); string(got) != "Hello, world!" {
		t.Errorf("ascii85 = %q", got)
	}
	for _, c := range []struct{ in, want string }{
		{"<~" + string(a85) + "~>", "Hello, world!"},                          // the optional start marker
		{string(a85[:5]) + "\n " + string(a85[5:]), "Hello, world!"},          // white space anywhere
		{string(a85[:5]) + "\x00{" + string(a85[5:]) + "~>", "Hello, world!"}, // junk is skipped
		{"z" + string(a85), "\x00\x00\x00\x00Hello, world!"},                  // z: four zero bytes
		{"9j", "M"},              // no end marker: a partial group still decodes
		{"9jqo^9~>", "Man "},     // a lone last character encodes nothing
		{"9jqo^~>after", "Man "}, // nothing past the end marker
		{"9jzqo^~>", "Man "},     // a z inside a group is skipped
	} {
		if got := ascii85Decode([]byte(c.in)); string(got) != c.want {
			t.Errorf("ascii85(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := asciiHexDecode([]byte("48 65 6c6C 6\n>")); string(got) != "Hell`" {
		t.Errorf("asciihex = %q", got)
	}
	if got, _ := runLengthDecode([]byte{2, 'a', 'b', 'c', 254, 'x', 128}, 100); string(got) != "abcxxx" {
		t.Errorf("runlength = %q", got)
	}
	if _, err := inflate(bytes.Repeat([]byte{0}, 10), 100); err == nil {
		t.Log("inflate of junk gave no error (fine: nothing decoded)")
	}
}

func TestPDFNoTextAndEmpty(t *testing.T) {
	_, err := extractBytes(pdfgen.Simple(pdfgen.Page{}).Bytes(1))
	if doctext.KindOf(err) != doctext.NoText {
		t.Errorf("blank PDF: err = %v", err)
	}
	_, err = extractBytes([]byte("%PDF-1.4\nnothing else"))
	if doctext.KindOf(err) != doctext.Damaged || err.Error() != "this PDF is damaged or incomplete" {
		t.Errorf("junk PDF: err = %v", err)
	}
}

// TestPDFTruncated cuts a real PDF at many points: each must give the
// readable pages or the damaged error, never a panic.
func TestPDFTruncated(t *testing.T) {
	data, err := os.ReadFile(docstest.CorpusFile(t, "R-intro.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, frac := range []float64{0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999} {
		n := int(float64(len(data)) * frac)
		doc, err := extractBytes(data[:n])
		switch {
		case err != nil && doctext.KindOf(err) != doctext.Damaged && doctext.KindOf(err) != doctext.NoText:
			t.Errorf("cut at %d: unexpected error %v", n, err)
		case err == nil:
			docstest.Check(t, doc)
			t.Logf("cut at %.0f%%: %d pages, %d bytes of text", 100*frac, len(doc.Pages), len(doc.Text))
		default:
			t.Logf("cut at %.0f%%: %v", 100*frac, err)
		}
	}
}

// TestPDFHeadingsBySize: without an outline, larger short lines that
// start a paragraph become sections, the largest at level 1.
func TestPDFHeadingsBySize(t *testing.T) {
	var c strings.Builder
	y := 740.0
	line := func(size float64, text string) {
		fmt.Fprintf(&c, "BT /F1 %g Tf 72 %g Td (%s) Tj ET\n", size, y, text)
		y -= size * 1.5
	}
	line(20, "Annual Review")
	for _, sec := range []string{"Results", "Outlook"} {
		line(14, sec)
		for i := 0; i < 4; i++ {
			line(10, fmt.Sprintf("Body text of %s, line %d, long enough to be body text.", sec, i))
		}
	}
	doc := mustExtract(t, pdfgen.Simple(pdfgen.Page{Extra: c.String()}).Bytes(1), "h.pdf")
	var got []string
	for _, s := range doc.Sections {
		got = append(got, fmt.Sprintf("%d %s p%d", s.Level, s.Title, s.Page))
	}
	if strings.Join(got, "|") != "1 Annual Review p1|2 Results p1|2 Outlook p1" {
		t.Errorf("sections = %q", got)
	}
	if s := doc.Sections[1]; doc.Text[s.Start:s.End] != "Results\n\n"+strings.Join([]string{
		"Body text of Results, line 0, long enough to be body text.", "Body text of Results, line 1, long enough to be body text.",
		"Body text of Results, line 2, long enough to be body text.", "Body text of Results, line 3, long enough to be body text."}, "\n") {
		t.Errorf("section text = %q", doc.Text[s.Start:s.End])
	}
}
