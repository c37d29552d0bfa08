package pdf

import (
	"sort"
	"strings"
	"unicode"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// outlineItem is a bookmark: a title, its depth and where it points.
type outlineItem struct {
	title string
	level int
	page  int     // 0-based page index, -1 when unknown
	top   float64 // the destination's top, NaN-free: -1 when absent
}

// sections turns the document outline into sections, placing each at its
// title on its page (or at the line below its destination's top, or at
// the page start).
func (d *pdfDoc) sections(doc *doctext.Document, pages []pdfPage, lineAt [][]lineOffset) []doctext.Section {
	items := d.outline(pages)
	var out []doctext.Section
	squeezed := map[int]*squeezedText{}
	for _, it := range items {
		if it.page < 0 || it.page >= len(doc.Pages) {
			continue
		}
		pg := doc.Pages[it.page]
		start := pg.Start
		sq := squeezed[it.page]
		if sq == nil {
			sq = squeezeText(doc.Text[pg.Start:pg.End])
			squeezed[it.page] = sq
		}
		if at := sq.find(it.title); at >= 0 {
			start = pg.Start + at
			// Include a number before the title on its line ("1.2 Title").
			ls := strings.LastIndexAny(doc.Text[pg.Start:start], "\n\f") + 1 + pg.Start
			if pre := doc.Text[ls:start]; len(pre) <= 16 && !strings.ContainsFunc(pre, unicode.IsLower) {
				start = ls
			}
		} else if it.top >= 0 {
			for _, l := range lineAt[it.page] {
				if l.main && l.y <= it.top+2 {
					start = l.off
					break
				}
			}
		}
		out = append(out, doctext.Section{Title: it.title, Level: it.level, Page: it.page + 1, Start: start})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// outline walks /Outlines depth first.
func (d *pdfDoc) outline(pages []pdfPage) []outlineItem {
	root := d.dict(d.trailer["Root"])
	ol := d.dict(root["Outlines"])
	if ol == nil {
		return nil
	}
	pageIdx := map[int]int{}
	for i, p := range pages {
		if p.num > 0 {
			pageIdx[p.num] = i
		}
	}
	var items []outlineItem
	seen := map[int]bool{}
	var walk func(o pdfObj, level int)
	walk = func(o pdfObj, level int) {
		for steps := 0; o != nil && steps < 100000 && len(items) < 100000; steps++ {
			r, ok := o.(pdfRef)
			if !ok || seen[r.num] || level > 32 {
				return
			}
			seen[r.num] = true
			it := d.dict(r)
			if it == nil {
				return
			}
			title := doctext.CleanTitle(doctext.CleanText(decodeTextString(d.str(it["Title"]))))
			if title != "" {
				page, top := d.destination(it, pageIdx)
				items = append(items, outlineItem{title: title, level: level, page: page, top: top})
			}
			if first, ok := it["First"]; ok {
				walk(first, level+1)
			}
			o = it["Next"]
		}
	}
	walk(ol["First"], 1)
	return items
}

// destination resolves an outline item's /Dest or GoTo action to a page
// index and a top coordinate.
func (d *pdfDoc) destination(it pdfDict, pageIdx map[int]int) (int, float64) {
	dest := d.resolve(it["Dest"])
	if dest == nil {
		if a := d.dict(it["A"]); a != nil && d.name(a["S"]) == "GoTo" {
			dest = d.resolve(a["D"])
		}
	}
	for i := 0; i < 4; i++ {
		switch v := dest.(type) {
		case pdfName:
			dest = d.namedDest(string(v))
		case pdfString:
			dest = d.namedDest(string(v))
		case pdfDict:
			dest = d.resolve(v["D"])
		case pdfArray:
			if len(v) == 0 {
				return -1, -1
			}
			page := -1
			switch p := v[0].(type) {
			case pdfRef:
				if k, ok := pageIdx[p.num]; ok {
					page = k
				}
			case int64:
				page = int(p)
			}
			top := -1.0
			if len(v) >= 4 && d.name(v[1]) == "XYZ" {
				if t, ok := d.num(v[3]); ok {
					top = t
				}
			} else if len(v) >= 3 && (d.name(v[1]) == "FitH" || d.name(v[1]) == "FitBH") {
				if t, ok := d.num(v[2]); ok {
					top = t
				}
			}
			return page, top
		default:
			return -1, -1
		}
	}
	return -1, -1
}

// namedDest looks a destination name up in /Dests or the /Names tree.
func (d *pdfDoc) namedDest(name string) pdfObj {
	if d.dests == nil {
		d.dests = map[string]pdfObj{}
		root := d.dict(d.trailer["Root"])
		for k, v := range d.dict(root["Dests"]) {
			d.dests[string(k)] = v
		}
		seen := map[int]bool{}
		var walk func(o pdfObj, depth int)
		walk = func(o pdfObj, depth int) {
			if r, ok := o.(pdfRef); ok {
				if seen[r.num] {
					return
				}
				seen[r.num] = true
			}
			n := d.dict(o)
			if n == nil || depth > 32 || len(d.dests) > 1000000 {
				return
			}
			names := d.array(n["Names"])
			for i := 0; i+1 < len(names); i += 2 {
				d.dests[string(d.str(names[i]))] = names[i+1]
			}
			for _, k := range d.array(n["Kids"]) {
				walk(k, depth+1)
			}
		}
		walk(d.dict(root["Names"])["Dests"], 0)
	}
	return d.resolve(d.dests[name])
}

// squeezedText is a page's text without white space, lowercased, with the
// offset of each remaining character, for finding headings in it.
type squeezedText struct {
	s    string
	offs []int // byte offset in the page of each byte of s
}

func squeezeText(page string) *squeezedText {
	var b strings.Builder
	var offs []int
	for i, r := range page {
		if unicode.IsSpace(r) {
			continue
		}
		n := b.Len()
		b.WriteRune(unicode.ToLower(r))
		for k := n; k < b.Len(); k++ {
			offs = append(offs, i)
		}
	}
	return &squeezedText{s: b.String(), offs: offs}
}

// find returns the page offset of a heading's text, ignoring case and
// white space, or -1.
func (q *squeezedText) find(title string) int {
	want := string(squeeze(title))
	if r := []rune(want); len(r) > 60 {
		want = string(r[:60])
	}
	if len(want) < 2 {
		return -1
	}
	k := strings.Index(q.s, want)
	if k < 0 {
		return -1
	}
	return q.offs[k]
}

func squeeze(s string) []rune {
	var out []rune
	for _, r := range s {
		if !unicode.IsSpace(r) {
			out = append(out, unicode.ToLower(r))
		}
	}
	return out
}

// headingsBySize finds headings in a PDF without an outline: short lines
// that start a paragraph in a font clearly larger than the body text.
// Larger sizes are higher levels.
func headingsBySize(doc *doctext.Document, lineAt [][]lineOffset) []doctext.Section {
	chars := map[int]int{} // font size in tenths of a point → characters
	total := 0
	for _, page := range lineAt {
		for _, l := range page {
			chars[int(l.size*10+0.5)] += l.end - l.off
			total += l.end - l.off
		}
	}
	body, most := 0, 0
	for sz, n := range chars {
		if n > most || n == most && sz < body {
			body, most = sz, n
		}
	}
	isHeading := func(l lineOffset) bool {
		t := doc.Text[l.off:l.end]
		return l.main && l.paraStart && float64(int(l.size*10+0.5)) >= float64(body)*1.15 &&
			len(t) <= 120 && strings.IndexFunc(t, unicode.IsLetter) >= 0
	}
	var sizes []int
	seen := map[int]bool{}
	count, hchars := 0, 0
	for _, page := range lineAt {
		for _, l := range page {
			if isHeading(l) {
				count++
				hchars += l.end - l.off
				if sz := int(l.size*10 + 0.5); !seen[sz] {
					seen[sz] = true
					sizes = append(sizes, sz)
				}
			}
		}
	}
	if count == 0 || hchars*5 > total { // "headings" that are a fifth of the text are not
		return nil
	}
	sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
	level := map[int]int{}
	for i, sz := range sizes {
		level[sz] = min(i+1, 6)
	}
	var out []doctext.Section
	for p, page := range lineAt {
		for i := 0; i < len(page); i++ {
			l := page[i]
			if !isHeading(l) {
				continue
			}
			// A heading set on two lines: the next line, same size, same paragraph.
			end := l.end
			for k := 0; k < 2 && i+1 < len(page) && !page[i+1].paraStart && page[i+1].size == l.size; k++ {
				i++
				end = page[i].end
			}
			title := doctext.CleanTitle(doc.Text[l.off:end])
			out = append(out, doctext.Section{Title: title, Level: level[int(l.size*10+0.5)], Page: p + 1, Start: l.off})
		}
	}
	return out
}
