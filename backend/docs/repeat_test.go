package docs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
)

// repeatedBlocks is a heading, a paragraph, the same short paragraph n
// times in a row, and a closing paragraph: its paragraphs as they come out.
// In a PDF the first and last paragraphs take three lines each.
func repeatedBlocks(n int, pdf bool) []string {
	first, last := "The question was asked again and again.", "That was all, and the meeting closed."
	if pdf {
		first, last = "The question was\nasked again\nand again.", "That was all,\nand the meeting\nclosed."
	}
	blocks := []string{"#1 Answers", first}
	for range n {
		blocks = append(blocks, "Yes.")
	}
	return append(blocks, last)
}

// repeatedFixture writes blocks ("#1 " marks the heading) in a format.
func repeatedFixture(format Format, blocks []string) []byte {
	var b strings.Builder
	switch format {
	case Markdown:
		for _, blk := range blocks {
			if t, ok := strings.CutPrefix(blk, "#1 "); ok {
				fmt.Fprintf(&b, "# %s\n\n", t)
			} else {
				fmt.Fprintf(&b, "%s\n\n", blk)
			}
		}
	case Text:
		for _, blk := range blocks {
			fmt.Fprintf(&b, "%s\n\n", strings.TrimPrefix(blk, "#1 "))
		}
	case HTML:
		return []byte(xhtml("Answers", blocks))
	case EPUB:
		opf := `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Answers</dc:title></metadata>
<manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/></spine></package>`
		return makeZip(
			zipEntry{name: "mimetype", body: "application/epub+zip", store: true},
			zipEntry{name: "META-INF/container.xml", body: `<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0"><rootfiles><rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`},
			zipEntry{name: "OEBPS/book.opf", body: opf},
			zipEntry{name: "OEBPS/c1.xhtml", body: xhtml("Answers", blocks)},
		)
	case DOCX:
		for _, blk := range blocks {
			if t, ok := strings.CutPrefix(blk, "#1 "); ok {
				fmt.Fprintf(&b, `<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>%s</w:t></w:r></w:p>`, xmlEscape(t))
			} else {
				fmt.Fprintf(&b, `<w:p><w:r><w:t>%s</w:t></w:r></w:p>`, xmlEscape(blk))
			}
		}
		doc := `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + b.String() + `</w:body></w:document>`
		return makeZip(
			zipEntry{name: "[Content_Types].xml", body: `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
			zipEntry{name: "word/document.xml", body: doc},
			zipEntry{name: "word/styles.xml", body: `<?xml version="1.0"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>`},
		)
	case ODT:
		for _, blk := range blocks {
			if t, ok := strings.CutPrefix(blk, "#1 "); ok {
				fmt.Fprintf(&b, `<text:h text:outline-level="1">%s</text:h>`, xmlEscape(t))
			} else {
				fmt.Fprintf(&b, `<text:p>%s</text:p>`, xmlEscape(blk))
			}
		}
		content := `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>` +
			b.String() + `</office:text></office:body></office:document-content>`
		return makeZip(
			zipEntry{name: "mimetype", body: "application/vnd.oasis.opendocument.text", store: true},
			zipEntry{name: "content.xml", body: content},
		)
	case RTF:
		b.WriteString(`{\rtf1\ansi{\stylesheet{\s0 Normal;}{\s1 heading 1;}}` + "\n")
		for _, blk := range blocks {
			if t, ok := strings.CutPrefix(blk, "#1 "); ok {
				fmt.Fprintf(&b, "\\pard\\s1 %s\\par\n", t)
			} else {
				fmt.Fprintf(&b, "\\pard %s\\par\n", blk)
			}
		}
		b.WriteString("}")
	case PDF:
		// A paragraph's lines sit at the usual pitch, paragraphs a blank
		// line apart: a block's "\n" breaks its line.
		var lines []string
		for _, blk := range blocks {
			lines = append(lines, strings.Split(strings.TrimPrefix(blk, "#1 "), "\n")...)
			lines = append(lines, "")
		}
		return pdfgen.Simple(pdfgen.Page{Lines: lines}).Bytes(1)
	}
	return []byte(b.String())
}

// TestRepeatedParagraphsStay: a paragraph that repeats the one before it
// is what the document says, in every format: two and five "Yes." in a row
// come out as two and five paragraphs.
func TestRepeatedParagraphsStay(t *testing.T) {
	formats := []struct {
		format Format
		name   string
	}{
		{Markdown, "r.md"}, {Text, "r.txt"}, {HTML, "r.html"}, {DOCX, "r.docx"}, {ODT, "r.odt"},
		{EPUB, "r.epub"}, {RTF, "r.rtf"}, {PDF, "r.pdf"},
	}
	for _, f := range formats {
		for _, n := range []int{2, 5} {
			t.Run(fmt.Sprintf("%s/%d", f.format, n), func(t *testing.T) {
				blocks := repeatedBlocks(n, f.format == PDF)
				doc := mustExtract(t, repeatedFixture(f.format, blocks), f.name)
				want := append([]string{"Answers"}, blocks[1:]...)
				if got := docstest.Paragraphs(doc); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("paragraphs:\n got %q\nwant %q", got, want)
				}
				if got := strings.Count(doc.Text, "Yes."); got != n {
					t.Errorf("%d × Yes. in the text, want %d: %q", got, n, doc.Text)
				}
			})
		}
	}
}
