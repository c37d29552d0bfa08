package docs

import (
	"encoding/xml"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// extractDOCX reads word/document.xml (or the main part named by
// _rels/.rels): paragraphs, runs, tabs and breaks, tables row by row, and
// headings from the paragraph style (Heading1…9, Title) or outline level.
func extractDOCX(z *zipDoc) (*Document, error) {
	main := "word/document.xml"
	if rels, err := z.read("_rels/.rels"); err == nil {
		if t := relTarget(z, rels, "officeDocument"); t != "" && z.file(t) != nil {
			main = t
		}
	} else if z.file("_rels/.rels") != nil && KindOf(err) != Damaged {
		return nil, err
	}
	levels := map[string]int{}
	if z.file(path.Join(path.Dir(main), "styles.xml")) != nil {
		data, err := z.read(path.Join(path.Dir(main), "styles.xml"))
		if err != nil && KindOf(err) != Damaged {
			return nil, err
		}
		if err == nil {
			if levels, err = docxStyles(z, data); err != nil && KindOf(err) != Damaged {
				return nil, err
			}
		}
	}
	data, err := z.read(main)
	if err != nil {
		return nil, err
	}
	b := &doctext.Builder{}
	if err := docxBody(z, data, levels, b); err != nil {
		return nil, err
	}
	if core, err := z.read("docProps/core.xml"); err == nil {
		b.Title = xmlElementText(z, core, "title")
	}
	return b.Finish(), nil
}

// relTarget finds the target of the relationship whose type ends in kind.
func relTarget(z *zipDoc, rels []byte, kind string) string {
	x := z.xml(rels)
	for {
		t, err := x.next()
		if err != nil {
			return ""
		}
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "Relationship" && strings.HasSuffix(attr(se, "Type"), "/"+kind) {
			return strings.TrimPrefix(attr(se, "Target"), "/")
		}
	}
}

// docxStyles maps paragraph style ids to heading levels: by the style's
// name ("heading 2", "Title") or its outline level.
func docxStyles(z *zipDoc, data []byte) (map[string]int, error) {
	levels := map[string]int{}
	x := z.xml(data)
	id := ""
	for {
		t, err := x.next()
		if err == io.EOF {
			return levels, nil
		}
		if err != nil {
			return levels, err
		}
		se, ok := t.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "style":
			id = attr(se, "styleId")
			if lvl := headingLevel(id); lvl > 0 {
				levels[id] = lvl
			}
		case "name":
			if lvl := headingLevel(attr(se, "val")); lvl > 0 && id != "" {
				levels[id] = lvl
			}
		case "outlineLvl":
			if n, err := strconv.Atoi(attr(se, "val")); err == nil && n >= 0 && n < 9 && id != "" {
				levels[id] = n + 1
			}
		}
	}
}

// headingLevel reads "Heading1", "heading 2", "Title" as a level.
func headingLevel(name string) int {
	s := strings.ToLower(strings.ReplaceAll(name, " ", ""))
	if s == "title" {
		return 1
	}
	if strings.HasPrefix(s, "heading") {
		if n, err := strconv.Atoi(s[len("heading"):]); err == nil && n >= 1 && n <= 9 {
			return n
		}
	}
	return 0
}

type docxPara struct {
	text  strings.Builder
	level int
}

// officeBody collects the paragraphs and tables of an office document's
// body (DOCX, ODT) into a builder. Paragraphs nest (a text box inside a
// paragraph): each comes out on its own when it ends.
type officeBody struct {
	b     *doctext.Builder
	stack []*docxPara
	table tableText
}

// open starts a paragraph (a heading of level > 0).
func (o *officeBody) open(level int) { o.stack = append(o.stack, &docxPara{level: level}) }

// top is the innermost open paragraph, nil outside any.
func (o *officeBody) top() *docxPara {
	if len(o.stack) == 0 {
		return nil
	}
	return o.stack[len(o.stack)-1]
}

// close ends the innermost paragraph: inside a table its text joins the
// cell, else it becomes a heading or a paragraph; keep false drops it.
func (o *officeBody) close(keep bool) {
	p := o.top()
	if p == nil {
		return
	}
	o.stack = o.stack[:len(o.stack)-1]
	text := strings.TrimSpace(p.text.String())
	switch {
	case !keep:
	case o.table.inTable():
		o.table.addText(text)
	case p.level > 0:
		o.b.Heading(p.level, text)
	default:
		o.b.Para(text)
	}
}

// docxBody walks the document: paragraphs (nested ones, in text boxes,
// come out on their own) and tables, one paragraph per row.
func docxBody(z *zipDoc, data []byte, levels map[string]int, b *doctext.Builder) error {
	x := z.xml(data)
	o := &officeBody{b: b}
	inText, inPPr := false, false
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
			case "p":
				o.open(0)
			case "pPr":
				inPPr = true
			case "pStyle":
				if p != nil {
					p.level = levels[attr(t, "val")]
					if p.level == 0 {
						p.level = headingLevel(attr(t, "val"))
					}
				}
			case "outlineLvl":
				if n, err := strconv.Atoi(attr(t, "val")); err == nil && p != nil && inPPr && n >= 0 && n < 9 {
					p.level = n + 1
				}
			case "t":
				inText = true
			case "tab":
				if p != nil && !inPPr {
					p.text.WriteByte('\t')
				}
			case "br", "cr":
				if p != nil {
					p.text.WriteByte('\n')
				}
			case "noBreakHyphen":
				if p != nil {
					p.text.WriteByte('-')
				}
			case "tbl":
				o.table.startTable()
			case "tc":
				o.table.startCell()
			case "Fallback", "delText", "instrText", "footnoteReference", "endnoteReference", "commentReference":
				if err := x.skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "pPr":
				inPPr = false
			case "p":
				o.close(true)
			case "tc":
				o.table.endCell()
			case "tr":
				o.table.endRow(b)
			case "tbl":
				o.table.endTable()
			}
		case xml.CharData:
			if p := o.top(); inText && p != nil {
				p.text.Write(t)
			}
		}
	}
}

// tableText turns the tables of an office document (DOCX, ODT) into
// paragraphs: one per row, its non-empty cells joined with " | ".
type tableText struct {
	depth int
	row   []string
	cell  strings.Builder
}

func (t *tableText) startTable()   { t.depth++ }
func (t *tableText) endTable()     { t.depth = max(0, t.depth-1) }
func (t *tableText) startCell()    { t.cell.Reset() }
func (t *tableText) inTable() bool { return t.depth > 0 }

// addText adds a paragraph's text to the current cell.
func (t *tableText) addText(text string) {
	if text == "" {
		return
	}
	if t.cell.Len() > 0 {
		t.cell.WriteByte(' ')
	}
	t.cell.WriteString(text)
}

func (t *tableText) endCell() {
	t.row = append(t.row, normSpace(t.cell.String()))
	t.cell.Reset()
}

// endRow writes the row as one paragraph.
func (t *tableText) endRow(b *doctext.Builder) {
	b.Para(joinCells(t.row))
	t.row = t.row[:0]
}

// joinCells joins a table row's non-empty cells (also for HTML tables).
func joinCells(cells []string) string {
	var keep []string
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, " | ")
}

// xmlElementText returns the text of the first element with the given
// local name (a title in metadata).
func xmlElementText(z *zipDoc, data []byte, local string) string {
	x := z.xml(data)
	in := false
	var b strings.Builder
	for {
		t, err := x.next()
		if err != nil {
			return doctext.CleanTitle(b.String())
		}
		switch t := t.(type) {
		case xml.StartElement:
			if t.Name.Local == local {
				in = true
			}
		case xml.EndElement:
			if in && t.Name.Local == local {
				return doctext.CleanTitle(b.String())
			}
		case xml.CharData:
			if in {
				b.Write(t)
			}
		}
	}
}
