package docs

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
)

// zipEntry is one file of a generated zip.
type zipEntry struct {
	name, body string
	store      bool // no compression (EPUB and ODF mimetype)
}

func makeZip(entries ...zipEntry) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.store {
			h.Method = zip.Store
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		f.Write([]byte(e.body))
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Fixture contents: the paragraphs and headings every format's fixture
// holds, in order. Headings are "#<level> text".
var fixtureBlocks = []string{
	"#1 The Lighthouse Keeper",
	"Every evening the keeper climbed the ninety-nine steps.",
	"#2 Storms",
	"In winter the storms came from the north & the west.",
	"She kept a log:\tdate, wind, and ships seen.",
	"#3 The Log Book",
	"Entries grew shorter as the years passed — café au lait stains.",
	"The last entry reads “All quiet”.",
	"#2 Calm",
	"The sea was calm at last.",
}

func fixtureParas() (paras []string, headings []Section) {
	for _, b := range fixtureBlocks {
		if strings.HasPrefix(b, "#") {
			headings = append(headings, Section{Title: b[3:], Level: int(b[1] - '0')})
			paras = append(paras, b[3:])
			continue
		}
		paras = append(paras, b)
	}
	return paras, headings
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// docxFixture writes a DOCX: headings by style (Heading1, a custom style
// named "heading 2", an outline level), runs split mid-word, a tab, a
// table and a text box.
func docxFixture() []byte {
	var body strings.Builder
	for _, blk := range fixtureBlocks {
		if strings.HasPrefix(blk, "#") {
			style := map[byte]string{'1': `<w:pStyle w:val="Heading1"/>`, '2': `<w:pStyle w:val="Kop2"/>`, '3': `<w:outlineLvl w:val="2"/>`}[blk[1]]
			fmt.Fprintf(&body, `<w:p><w:pPr>%s</w:pPr><w:r><w:t>%s</w:t></w:r></w:p>`, style, xmlEscape(blk[3:]))
			continue
		}
		// Split each paragraph into runs mid-word, with the tab as w:tab.
		before, after, hasTab := strings.Cut(blk, "\t")
		half := len(before) / 2
		fmt.Fprintf(&body, `<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>%s</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r>`,
			xmlEscape(before[:half]), xmlEscape(before[half:]))
		if hasTab {
			fmt.Fprintf(&body, `<w:r><w:tab/><w:t>%s</w:t></w:r>`, xmlEscape(after))
		}
		body.WriteString(`<w:r><w:delText>deleted words</w:delText></w:r><w:r><w:instrText> PAGE </w:instrText></w:r></w:p>`)
	}
	body.WriteString(`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell A1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cell B1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>`)
	body.WriteString(`<w:p><w:r><w:t>Before the box </w:t></w:r><w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent><w:p><w:r><w:t>Boxed text</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:p><w:r><w:t>Boxed text</w:t></w:r></w:p></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>after the box.</w:t></w:r></w:p>`)
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>` + body.String() + `<w:sectPr/></w:body></w:document>`
	styles := `<?xml version="1.0"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Kop2"><w:name w:val="heading 2"/></w:style></w:styles>`
	return makeZip(
		zipEntry{name: "[Content_Types].xml", body: `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		zipEntry{name: "_rels/.rels", body: `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		zipEntry{name: "word/document.xml", body: doc},
		zipEntry{name: "word/styles.xml", body: styles},
		zipEntry{name: "docProps/core.xml", body: `<?xml version="1.0"?><cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Keeper's Log</dc:title></cp:coreProperties>`},
	)
}

// The text the DOCX fixture's extras add after the shared blocks.
var docxExtras = []string{"Cell A1 | Cell B1", "Boxed text", "Before the box after the box."}

// odtFixture writes an ODT with text:h outline levels, spans, text:s,
// text:tab, a list and a table.
func odtFixture() []byte {
	var body strings.Builder
	for _, blk := range fixtureBlocks {
		if strings.HasPrefix(blk, "#") {
			fmt.Fprintf(&body, `<text:h text:outline-level="%c">%s</text:h>`, blk[1], xmlEscape(blk[3:]))
			continue
		}
		before, after, hasTab := strings.Cut(blk, "\t")
		words := strings.SplitN(before, " ", 2)
		fmt.Fprintf(&body, "<text:p text:style-name=\"P1\">%s<text:s/><text:span text:style-name=\"T1\">%s</text:span>", xmlEscape(words[0]), xmlEscape(words[1]))
		if hasTab {
			fmt.Fprintf(&body, "<text:tab/>%s", xmlEscape(after))
		}
		body.WriteString("</text:p>\n")
	}
	body.WriteString(`<text:list><text:list-item><text:p>First item</text:p></text:list-item><text:list-item><text:p>Second<text:s text:c="2"/>item<text:line-break/>broken</text:p></text:list-item></text:list>`)
	body.WriteString(`<table:table><table:table-row><table:table-cell><text:p>Cell A1</text:p></table:table-cell><table:table-cell><text:p>Cell B1</text:p></table:table-cell></table:table-row></table:table>`)
	content := `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0">
<office:automatic-styles><text:p>not body text</text:p></office:automatic-styles>
<office:body><office:text>` + body.String() + `</office:text></office:body></office:document-content>`
	return makeZip(
		zipEntry{name: "mimetype", body: "application/vnd.oasis.opendocument.text", store: true},
		zipEntry{name: "META-INF/manifest.xml", body: `<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>`},
		zipEntry{name: "content.xml", body: content},
		zipEntry{name: "meta.xml", body: `<?xml version="1.0"?><office:document-meta xmlns:office="o" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Keeper's Log</dc:title></office:meta></office:document-meta>`},
	)
}

var odtExtras = []string{"First item", "Second  item\nbroken", "Cell A1 | Cell B1"}

// xhtml renders blocks as an XHTML page.
func xhtml(title string, blocks []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>%s</title><style>p{}</style></head><body>`, xmlEscape(title))
	for _, blk := range blocks {
		if strings.HasPrefix(blk, "#") {
			fmt.Fprintf(&b, "<h%c>%s</h%c>\n", blk[1], xmlEscape(blk[3:]), blk[1])
		} else {
			fmt.Fprintf(&b, "<p>%s</p>\n", strings.ReplaceAll(xmlEscape(blk), "\t", "\t"))
		}
	}
	b.WriteString("</body></html>")
	return b.String()
}

// epubFixture writes an EPUB 3 whose spine lists the nav document first
// (skipped) and the chapters out of manifest order.
func epubFixture() []byte {
	opf := `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Keeper's Log</dc:title></metadata>
<manifest><item id="c2" href="text/ch%202.xhtml" media-type="application/xhtml+xml"/><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/><item id="c1" href="text/ch1.xhtml" media-type="application/xhtml+xml"/><item id="css" href="s.css" media-type="text/css"/></manifest>
<spine toc="ncx"><itemref idref="nav"/><itemref idref="c1"/><itemref idref="c2"/></spine></package>`
	return makeZip(
		zipEntry{name: "mimetype", body: "application/epub+zip", store: true},
		zipEntry{name: "META-INF/container.xml", body: `<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0"><rootfiles><rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`},
		zipEntry{name: "OEBPS/book.opf", body: opf},
		zipEntry{name: "OEBPS/nav.xhtml", body: xhtml("Contents", []string{"#1 Contents", "Table of contents entry"})},
		zipEntry{name: "OEBPS/text/ch1.xhtml", body: xhtml("One", fixtureBlocks[:4])},
		zipEntry{name: "OEBPS/text/ch 2.xhtml", body: xhtml("Two", fixtureBlocks[4:])},
	)
}

// htmlFixture is a page with chrome around an article, in Windows-1252.
func htmlFixture() []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><title>Keeper's Log</title>
<script>var x = "<p>not text</p>";</script><style>p { color: red }</style></head><body>
<header><a href="/">Site home</a></header><nav><ul><li>Menu item</li></ul></nav><article><header>`)
	for i, blk := range fixtureBlocks {
		if strings.HasPrefix(blk, "#") {
			fmt.Fprintf(&b, "<h%c>%s</h%c>\n", blk[1], xmlEscape(blk[3:]), blk[1])
		} else {
			fmt.Fprintf(&b, "<p>%s\n  </p>\n", xmlEscape(blk))
		}
		if i == 0 {
			b.WriteString("</header>")
		}
	}
	b.WriteString(`<ul><li>First item<li>Second <b>item</b></ul><table><tr><td>Cell A1<td>Cell B1</table><pre>code  line 1
   line 2</pre></article><footer>Copyright footer</footer><div role="navigation">More links</div></body></html>`)
	var out []byte
	for _, r := range b.String() { // encode as Windows-1252
		switch {
		case r < 0x80:
			out = append(out, byte(r))
		case r == 'é':
			out = append(out, 0xE9)
		case r == '—':
			out = append(out, 0x97)
		case r == '“':
			out = append(out, 0x93)
		case r == '”':
			out = append(out, 0x94)
		default:
			panic(fmt.Sprintf("no cp1252 for %q", r))
		}
	}
	return out
}

var htmlExtras = []string{"First item", "Second item", "Cell A1 | Cell B1", "code  line 1\n   line 2"}

func markdownFixture() []byte {
	var b strings.Builder
	b.WriteString("---\ntitle: Keeper's Log\n---\n")
	for i, blk := range fixtureBlocks {
		switch {
		case blk[:2] == "#1":
			fmt.Fprintf(&b, "%s\n=============\n\n", blk[3:]) // setext
		case strings.HasPrefix(blk, "#"):
			fmt.Fprintf(&b, "%s %s {#id}\n\n", strings.Repeat("#", int(blk[1]-'0')), blk[3:])
		case i == 1:
			fmt.Fprintf(&b, "Every **evening** the [keeper](http://x.example/k) climbed\nthe ninety-nine steps.\n\n")
		default:
			fmt.Fprintf(&b, "%s\n\n", blk)
		}
	}
	b.WriteString("- First item\n- Second item\n\n```go\nfunc main() {\n\n\tprintln(\"# not a heading\")\n}\n```\n")
	return []byte(b.String())
}

var mdExtras = []string{"First item", "Second item", "func main() {\n\n\tprintln(\"# not a heading\")\n}"}

func rtfFixture() []byte {
	var b strings.Builder
	b.WriteString(`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times;}}{\colortbl;\red0\green0\blue0;}` + "\n" +
		`{\stylesheet{\s0 Normal;}{\s1\outlinelevel0 heading 1;}{\s2 heading 2;}}{\info{\title Keeper's Log}{\author Nobody}}{\*\generator Test;}` + "\n")
	for _, blk := range fixtureBlocks {
		esc := ""
		for _, r := range blk {
			switch {
			case r == '\t':
				esc += `\tab `
			case r == '—':
				esc += `\emdash `
			case r == '“':
				esc += `\ldblquote `
			case r == '”':
				esc += `\u8221\'94`
			case r == 'é':
				esc += `\'e9`
			case r == '{' || r == '}' || r == '\\':
				esc += `\` + string(r)
			default:
				esc += string(r)
			}
		}
		switch {
		case strings.HasPrefix(blk, "#1"):
			fmt.Fprintf(&b, "\\pard\\s1 %s\\par\n", esc[3:])
		case strings.HasPrefix(blk, "#2"):
			fmt.Fprintf(&b, "\\pard\\s2 %s\\par\n", esc[3:])
		case strings.HasPrefix(blk, "#"):
			fmt.Fprintf(&b, "\\pard\\outlinelevel2 %s\\par\n", esc[3:])
		default:
			fmt.Fprintf(&b, "\\pard {\\b %s}{\\*\\bkmkstart x}\\par\n", esc)
		}
	}
	b.WriteString(`\pard Line one\line line two{\pict\pngblip 89504e47}\par}`)
	return []byte(b.String())
}

var rtfExtras = []string{"Line one\nline two"}
