package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// Small generators of every format Chapel reads. Each file carries word, a
// made-up word a search must find.

func makeZip(t testing.TB, entries ...[2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i, e := range entries {
		h := &zip.FileHeader{Name: e[0], Method: zip.Deflate}
		if i == 0 && e[0] == "mimetype" {
			h.Method = zip.Store
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, e[1])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func docxFile(t testing.TB, word string) []byte {
	body := `<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>The Keeper</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t>The keeper wrote ` + word + ` in the log.</w:t></w:r></w:p>`
	return makeZip(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		[2]string{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body + `</w:body></w:document>`},
		[2]string{"word/styles.xml", `<?xml version="1.0"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>`},
	)
}

func odtFile(t testing.TB, word string) []byte {
	content := `<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>` +
		`<text:h text:outline-level="1">The Keeper</text:h><text:p>The keeper wrote ` + word + ` in the log.</text:p></office:text></office:body></office:document-content>`
	return makeZip(t,
		[2]string{"mimetype", "application/vnd.oasis.opendocument.text"},
		[2]string{"META-INF/manifest.xml", `<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>`},
		[2]string{"content.xml", content},
	)
}

func xhtmlPage(title, word string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>` + title + `</title></head><body>` +
		`<h1>` + title + `</h1><p>The keeper wrote ` + word + ` in the log.</p><p>The sea was calm.</p></body></html>`
}

func epubFile(t testing.TB, word string) []byte {
	opf := `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Keeper's Log</dc:title></metadata>` +
		`<manifest><item id="c1" href="ch1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/></spine></package>`
	return makeZip(t,
		[2]string{"mimetype", "application/epub+zip"},
		[2]string{"META-INF/container.xml", `<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0"><rootfiles><rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`},
		[2]string{"OEBPS/book.opf", opf},
		[2]string{"OEBPS/ch1.xhtml", xhtmlPage("Chapter One", word)},
	)
}

func htmlFile(word string) []byte {
	return []byte("<!DOCTYPE html><html><head><title>Keeper's Log</title></head><body><article><h1>The Keeper</h1><p>The keeper wrote " +
		word + " in the log.</p></article></body></html>")
}

func markdownFile(word string) []byte {
	return []byte("# The Keeper\n\nThe keeper wrote " + word + " in the log.\n\n## Storms\n\nThe storms came from the north.\n")
}

func textFile(word string) []byte {
	return []byte("The keeper wrote " + word + " in the log.\n\nThe sea was calm at last.\n")
}

func rtfFile(word string) []byte {
	return []byte(`{\rtf1\ansi{\info{\title Keeper's Log}}\pard The keeper wrote ` + word + ` in the log.\par\pard The sea was calm.\par}`)
}

// pdfSpec describes a generated PDF.
type pdfSpec struct {
	pages      int
	lines      int    // lines of text per page (default 3)
	imageBytes int    // an incompressible grey image of this many bytes on each page
	word       string // written on page 1
	encrypted  bool   // an /Encrypt dictionary no empty password opens
}

var pdfWords = strings.Fields("lamp keeper storm north ship log tide light harbour rock gull sea wind bell rope oar")

// writePDF streams a PDF to w: a catalog, a font, per page a content stream
// of distinct lines (running-header detection drops repeated ones), an
// optional image XObject and the page, then the page tree and a classic
// xref table. Nothing but one image's bytes is held in memory.
func writePDF(w io.Writer, spec pdfSpec) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	off := 0
	var offs []int
	write := func(s string) { n, _ := bw.WriteString(s); off += n }
	obj := func(body string) int {
		offs = append(offs, off)
		write(fmt.Sprintf("%d 0 obj\n%s\nendobj\n", len(offs), body))
		return len(offs)
	}
	if spec.lines == 0 {
		spec.lines = 3
	}
	write("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	treeNum := 2 + spec.pages*3 + 1
	if spec.imageBytes == 0 {
		treeNum = 2 + spec.pages*2 + 1
	}
	obj(fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", treeNum))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	rng := rand.New(rand.NewPCG(1, 2))
	chacha := rand.NewChaCha8([32]byte{7})
	img := make([]byte, spec.imageBytes)
	kids := make([]string, 0, spec.pages)
	for i := range spec.pages {
		var c strings.Builder
		if spec.imageBytes > 0 {
			c.WriteString("q 200 0 0 200 72 200 cm /Im0 Do Q\n")
		}
		c.WriteString("BT /F1 11 Tf 72 720 Td 14 TL\n")
		for k := range spec.lines {
			words := make([]string, 9)
			for j := range words {
				words[j] = pdfWords[rng.IntN(len(pdfWords))]
			}
			if i == 0 && k == 0 && spec.word != "" {
				words[4] = spec.word
			}
			fmt.Fprintf(&c, "(%s) Tj T*\n", strings.Join(words, " "))
		}
		c.WriteString("ET")
		content := obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", c.Len(), c.String()))
		xobj := ""
		if spec.imageBytes > 0 {
			chacha.Read(img)
			offs = append(offs, off)
			write(fmt.Sprintf("%d 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n",
				len(offs), len(img), len(img)))
			n, _ := bw.Write(img)
			off += n
			write("\nendstream\nendobj\n")
			xobj = fmt.Sprintf("/XObject << /Im0 %d 0 R >>", len(offs))
		}
		page := obj(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 2 0 R >> %s >> /Contents %d 0 R >>",
			treeNum, xobj, content))
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
	}
	if n := obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), spec.pages)); n != treeNum {
		return fmt.Errorf("page tree is object %d, not %d", n, treeNum)
	}
	trailer := ""
	if spec.encrypted {
		// Revision 3 RC4 with an /U no empty password produces.
		trailer = fmt.Sprintf("/Encrypt << /Filter /Standard /V 2 /R 3 /Length 128 /P -1084 /O <%s> /U <%s> >> /ID [<%s> <%s>]",
			strings.Repeat("5a", 32), strings.Repeat("c3", 32), strings.Repeat("11", 16), strings.Repeat("11", 16))
	}
	xref := off
	write(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f \n", len(offs)+1))
	for _, o := range offs {
		write(fmt.Sprintf("%010d 00000 n \n", o))
	}
	write(fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, trailer, xref))
	return bw.Flush()
}

func pdfBytes(t testing.TB, spec pdfSpec) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := writePDF(&b, spec); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writePDFFile streams a generated PDF to path.
func writePDFFile(t testing.TB, path string, spec pdfSpec) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writePDF(f, spec); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
