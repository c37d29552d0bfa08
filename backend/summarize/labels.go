package summarize

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/store"
)

// Document kinds, by what a summary cites.
const (
	byPages    = 'p' // some chunk has a page: "[pp. 12–14]"
	bySections = '§' // no pages, some chunk has a section: "[§ Title]", "[¶ 1–2]" before the first
	byPassages = '¶' // neither: "[¶ 3–5]"
)

// labels knows how a document's chunks are cited.
type labels struct {
	kind    byte
	section []string // per chunk in bySections: its section's marker title ("" before the first)
}

func newLabels(chunks []store.Chunk) *labels {
	lb := &labels{kind: byPassages}
	for _, c := range chunks {
		if c.PageStart > 0 || c.PageEnd > 0 {
			lb.kind = byPages
			return lb
		}
		if c.Section != "" {
			lb.kind = bySections
		}
	}
	if lb.kind != bySections {
		return lb
	}
	// A title that comes back after another section is a different section,
	// and so is one whose cut title equals another's: each run of a section
	// gets a marker of its own, " (2)", " (3)"… after the cut title.
	used := map[string]bool{}
	lb.section = make([]string, len(chunks))
	cur := ""
	for i, c := range chunks {
		if c.Section == "" {
			continue
		}
		if i == 0 || chunks[i-1].Section != c.Section {
			base := cleanTitle(c.Section)
			cur = base
			for n := 2; used[cur]; n++ {
				suffix := fmt.Sprintf(" (%d)", n)
				cur = cutTitle(base, maxTitle-utf8.RuneCountInString(suffix)) + suffix
			}
			used[cur] = true
		}
		lb.section[i] = cur
	}
	return lb
}

// span is a run of chunks of a unit cited by one marker.
type span struct {
	marker      string
	first, last int
}

// spans lists the markers of chunks first..last with the chunks each cites.
func (lb *labels) spans(chunks []store.Chunk, first, last int) []span {
	switch lb.kind {
	case byPages:
		a, b := 0, 0
		for _, c := range chunks[first : last+1] {
			if c.PageStart > 0 && (a == 0 || c.PageStart < a) {
				a = c.PageStart
			}
			b = max(b, c.PageEnd, c.PageStart)
		}
		if a > 0 {
			return []span{{pageMarker(a, b), first, last}}
		}
		return []span{{passageMarker(first+1, last+1), first, last}}
	case byPassages:
		return []span{{passageMarker(first+1, last+1), first, last}}
	}
	var out []span
	for i := first; i <= last; i++ {
		if n := len(out); n > 0 && lb.section[i] == lb.section[out[n-1].first] {
			out[n-1].last = i
			continue
		}
		out = append(out, span{first: i, last: i})
	}
	for k, s := range out {
		if t := lb.section[s.first]; t != "" {
			out[k].marker = "[§ " + t + "]"
		} else {
			out[k].marker = passageMarker(s.first+1, s.last+1)
		}
	}
	return out
}

// unit builds the map unit of chunks first..last: the passage with section
// headings where a section starts, its markers and its text by marker.
func (lb *labels) unit(chunks []store.Chunk, first, last int) unit {
	u := unit{first: first, last: last, parts: 1}
	var passage []string
	for _, s := range lb.spans(chunks, first, last) {
		var texts []string
		for i := s.first; i <= s.last; i++ {
			texts = append(texts, lb.heading(chunks, first, i)+chunks[i].Text)
		}
		text := strings.Join(texts, "\n\n")
		passage = append(passage, text)
		u.markers = append(u.markers, s.marker)
		u.sources = append(u.sources, source{text: text, markers: []string{s.marker}})
	}
	u.text = strings.Join(passage, "\n\n")
	return u
}

// heading is the heading line shown before chunk i of a unit starting at
// first: where its section starts, unless the chunk's text opens with it.
func (lb *labels) heading(chunks []store.Chunk, first, i int) string {
	c := chunks[i]
	if c.Section == "" || (i > first && chunks[i-1].Section == c.Section) {
		return ""
	}
	if strings.HasPrefix(strings.TrimSpace(c.Text), strings.TrimSpace(c.Section)) {
		return ""
	}
	return "## " + cleanTitle(c.Section) + "\n"
}

// index maps every marker of the map units to the chunks it cites.
func (lb *labels) index(chunks []store.Chunk, units []unit) map[string]*leaf {
	idx := map[string]*leaf{}
	for _, u := range units {
		for _, s := range lb.spans(chunks, u.first, u.last) {
			l := idx[s.marker]
			if l == nil {
				l = &leaf{first: s.first, last: s.last, section: chunks[s.first].Section}
				idx[s.marker] = l
			}
			l.first, l.last = min(l.first, s.first), max(l.last, s.last)
		}
	}
	for _, l := range idx {
		for _, c := range chunks[l.first : l.last+1] {
			if c.PageStart > 0 && (l.pageStart == 0 || c.PageStart < l.pageStart) {
				l.pageStart = c.PageStart
			}
			l.pageEnd = max(l.pageEnd, c.PageEnd, c.PageStart)
		}
	}
	return idx
}
