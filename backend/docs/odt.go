package docs

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// extractODT reads content.xml: text:h headings with their outline level,
// text:p paragraphs (in lists, tables, frames), spans, spaces, tabs and
// line breaks; the title comes from meta.xml.
func extractODT(z *zipDoc) (*Document, error) {
	data, err := z.read("content.xml")
	if err != nil {
		return nil, err
	}
	b := &builder{}
	if err := odtBody(z, data, b); err != nil {
		return nil, err
	}
	if meta, err := z.read("meta.xml"); err == nil {
		b.doc.Title = xmlElementText(z, meta, "title")
	}
	return b.finish(), nil
}

func odtBody(z *zipDoc, data []byte, b *builder) error {
	x := z.xml(data)
	var stack []*docxPara
	var table tableText
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
			var p *docxPara
			if len(stack) > 0 {
				p = stack[len(stack)-1]
			}
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
				stack = append(stack, &docxPara{level: lvl})
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
				table.startTable()
			case "table-cell":
				table.startCell()
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
				if len(stack) == 0 {
					continue
				}
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				text := strings.TrimSpace(p.text.String())
				switch {
				case !inBody:
				case table.inTable():
					table.addText(text)
				case p.level > 0:
					b.heading(p.level, text)
				default:
					b.para(text)
				}
			case "table-cell":
				table.endCell()
			case "table-row":
				table.endRow(b)
			case "table":
				table.endTable()
			}
		case xml.CharData:
			if len(stack) > 0 {
				// White space in ODF text collapses, as in HTML; text:s
				// and text:tab carry the real spacing.
				stack[len(stack)-1].text.WriteString(collapseXMLSpace(string(t)))
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
