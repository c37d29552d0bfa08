package docs

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// extractODT reads content.xml: text:h headings with their outline level,
// text:p paragraphs (in lists, tables, frames), spans, spaces, tabs and
// line breaks; the title comes from meta.xml.
func extractODT(z *zipDoc) (*Document, error) {
	data, err := z.read("content.xml")
	if err != nil {
		return nil, err
	}
	b := &doctext.Builder{}
	if err := odtBody(z, data, b); err != nil {
		return nil, err
	}
	if meta, err := z.read("meta.xml"); err == nil {
		b.Title = xmlElementText(z, meta, "title")
	}
	return b.Finish(), nil
}

func odtBody(z *zipDoc, data []byte, b *doctext.Builder) error {
	x := z.xml(data)
	o := &officeBody{b: b}
	inBody := false
	for {
		t, err := x.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			p := o.top()
			switch t.Name.Local {
			case "body":
				inBody = true
			case "p", "h":
				lvl := 0
				if t.Name.Local == "h" {
					lvl = 1
					if n, err := strconv.Atoi(attr(t, "outline-level")); err == nil && n >= 1 {
						lvl = min(n, 9)
					}
				}
				o.open(lvl)
			case "s":
				if p != nil {
					n, err := strconv.Atoi(attr(t, "c"))
					if err != nil || n < 1 {
						n = 1
					}
					p.text.WriteString(strings.Repeat(" ", min(n, 64)))
				}
			case "tab":
				if p != nil {
					p.text.WriteByte('\t')
				}
			case "line-break":
				if p != nil {
					p.text.WriteByte('\n')
				}
			case "table":
				o.table.startTable()
			case "table-cell":
				o.table.startCell()
			case "note-citation", "tracked-changes", "annotation", "sequence-decls", "bookmark-ref":
				if t.Name.Local != "bookmark-ref" {
					if err := x.skip(); err != nil {
						return err
					}
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "p", "h":
				o.close(inBody)
			case "table-cell":
				o.table.endCell()
			case "table-row":
				o.table.endRow(b)
			case "table":
				o.table.endTable()
			}
		case xml.CharData:
			if p := o.top(); p != nil {
				// White space in ODF text collapses, as in HTML; text:s
				// and text:tab carry the real spacing.
				p.text.WriteString(collapseXMLSpace(string(t)))
			}
		}
	}
}

// collapseXMLSpace turns runs of white space into single spaces.
func collapseXMLSpace(s string) string {
	if !strings.ContainsAny(s, "\n\r\t  ") {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
