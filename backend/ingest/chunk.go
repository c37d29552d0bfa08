package ingest

import (
	"sort"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/docs"
)

// DefaultChunkTarget is the passage size Chunk aims at when given none.
const DefaultChunkTarget = 1500

// ChunkSpan is one passage of a Document's text: bytes [Start, End), the
// pages it spans (1-based; 0 when the document has no pages) and the title of
// the innermost section holding Start ("" when none does).
type ChunkSpan struct {
	Start, End         int
	PageStart, PageEnd int
	Section            string
}

// Cut strengths, weakest first.
const (
	cutRune     = iota // any character boundary
	cutInSpace         // after a white-space byte, inside a run of white space
	cutWord            // after a run of white space
	cutSentence        // after a sentence's end and the white space after it
	cutPara            // after a paragraph (or page) and the white space after it
)

// Chunk splits doc.Text into passages of about target bytes (DefaultChunkTarget
// when target <= 0) that cover the text in order with no gaps or overlaps:
// the first starts at 0, each ends where the next starts and the last ends at
// len(doc.Text). Every section start (past 0) begins a passage. Inside a
// section a passage ends at the strongest boundary within [target/2, 2×target]
// bytes of its start (a paragraph's end, then a sentence's end, then white
// space), the one nearest target among equals; so no passage is longer than
// 2×target unless a single word is: a word of up to 8×target bytes stays
// whole, a longer run without white space is cut at a character boundary.
// Cuts never split a UTF-8 sequence. Empty text has no passages.
func Chunk(doc *docs.Document, target int) []ChunkSpan {
	text := doc.Text
	n := len(text)
	if n == 0 {
		return nil
	}
	if target <= 0 {
		target = DefaultChunkTarget
	}
	c := &chunker{text: text, target: target, paraCuts: paragraphCuts(doc)}
	var spans []ChunkSpan
	for _, seg := range sectionSegments(doc) {
		for pos := seg[0]; pos < seg[1]; {
			end := c.next(pos, seg[1])
			spans = append(spans, ChunkSpan{Start: pos, End: end})
			pos = end
		}
	}
	labelChunks(doc, spans)
	return spans
}

// sectionSegments splits [0, len(Text)) at every section start.
func sectionSegments(doc *docs.Document) [][2]int {
	text := doc.Text
	cuts := []int{0}
	for _, s := range doc.Sections {
		at := s.Start
		for at > 0 && at < len(text) && !utf8.RuneStart(text[at]) {
			at++
		}
		if at > cuts[len(cuts)-1] && at < len(text) {
			cuts = append(cuts, at)
		}
	}
	sort.Ints(cuts) // sections are in text order; this guards a malformed Document
	segs := make([][2]int, 0, len(cuts))
	for i, a := range cuts {
		b := len(text)
		if i+1 < len(cuts) {
			b = cuts[i+1]
		}
		if b > a {
			segs = append(segs, [2]int{a, b})
		}
	}
	return segs
}

// paragraphCuts returns, in order, the positions just after each paragraph
// and the white space that follows it.
func paragraphCuts(doc *docs.Document) []int {
	cuts := make([]int, 0, len(doc.Paragraphs))
	for _, p := range doc.Paragraphs {
		at := p.End
		if at <= 0 || at > len(doc.Text) {
			continue
		}
		for at < len(doc.Text) && isASCIISpace(doc.Text[at]) {
			at++
		}
		if len(cuts) == 0 || at > cuts[len(cuts)-1] {
			cuts = append(cuts, at)
		}
	}
	return cuts
}

type chunker struct {
	text     string
	target   int
	paraCuts []int
}

// next returns where the passage starting at pos ends, within a section
// segment ending at end.
func (c *chunker) next(pos, end int) int {
	t := c.target
	if end-pos <= t+t/2 {
		return end
	}
	lo := pos + max(1, t/2)
	hi := min(pos+2*t, end-t/4)
	best, bestStrength := -1, cutInSpace-1
	consider := func(at, strength int) {
		if at < lo || at > hi || strength < bestStrength {
			return
		}
		if strength > bestStrength || abs(at-(pos+t)) < abs(best-(pos+t)) {
			best, bestStrength = at, strength
		}
	}
	// Paragraph ends the extractor recorded.
	for i := sort.SearchInts(c.paraCuts, lo); i < len(c.paraCuts) && c.paraCuts[i] <= hi; i++ {
		consider(c.paraCuts[i], cutPara)
	}
	// White space in the window: each position just after a white-space
	// byte, rated by what the run of white space ends.
	for i := max(lo-1, pos); i < hi; i++ {
		if !isASCIISpace(c.text[i]) {
			if c.text[i] >= 0xE3 && i+3 <= len(c.text) && fullStop(c.text[i:i+3]) && (i+3 >= len(c.text) || !isASCIISpace(c.text[i+3])) {
				consider(i+3, cutSentence) // CJK text has no space after a full stop
			}
			continue
		}
		if i+1 < len(c.text) && isASCIISpace(c.text[i+1]) {
			consider(i+1, cutInSpace)
			continue
		}
		consider(i+1, c.runStrength(pos, i))
	}
	if best >= 0 {
		return best
	}
	// No white space in the window: a word longer than the window. Keep it
	// whole when it ends within 8×target of its start, else cut at a
	// character (and keep cutting the rest of it there).
	wordStart := pos
	for i := lo - 1; i > pos; i-- {
		if isASCIISpace(c.text[i-1]) {
			wordStart = i
			break
		}
	}
	if wordStart > pos || pos == 0 || isASCIISpace(c.text[pos-1]) {
		limit := min(wordStart+8*t, end)
		for i := hi; i < limit; i++ {
			if isASCIISpace(c.text[i]) {
				for i < limit && isASCIISpace(c.text[i]) {
					i++
				}
				return i
			}
		}
		if end <= wordStart+8*t {
			return end
		}
	}
	at := pos + t
	for at < end && !utf8.RuneStart(c.text[at]) {
		at++
	}
	return at
}

// runStrength rates a cut just after the run of white space ending at
// byte last (inclusive), whose passage starts at pos.
func (c *chunker) runStrength(pos, last int) int {
	first := last
	newlines := 0
	for first > pos && isASCIISpace(c.text[first-1]) {
		first--
	}
	for i := first; i <= last; i++ {
		switch c.text[i] {
		case '\n':
			newlines++
		case '\f':
			newlines += 2
		}
	}
	if newlines >= 2 {
		return cutPara
	}
	if first > pos && endsSentence(c.text[pos:first]) {
		return cutSentence
	}
	return cutWord
}

// endsSentence reports whether s ends with sentence punctuation, perhaps
// followed by closing quotes or brackets.
func endsSentence(s string) bool {
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		switch r {
		case '.', '!', '?', '…', '。', '！', '？':
			return true
		case '"', '\'', ')', ']', '”', '’', '»':
			s = s[:len(s)-size]
		default:
			return false
		}
	}
	return false
}

// fullStop reports whether s is a CJK full stop, exclamation or question
// mark.
func fullStop(s string) bool { return s == "。" || s == "！" || s == "？" }

func isASCIISpace(b byte) bool {
	return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f' || b == '\v'
}

// labelChunks sets each span's pages and section.
func labelChunks(doc *docs.Document, spans []ChunkSpan) {
	text := doc.Text
	var open []int // indexes of sections started at or before the current span
	next := 0      // the next section not yet opened
	for i := range spans {
		s := &spans[i]
		if len(doc.Pages) > 0 {
			first, last := s.Start, s.End-1
			for first < last && isASCIISpace(text[first]) {
				first++
			}
			for last > first && isASCIISpace(text[last]) {
				last--
			}
			s.PageStart = doc.PageAt(first)
			s.PageEnd = max(s.PageStart, doc.PageAt(last))
		}
		for next < len(doc.Sections) && doc.Sections[next].Start <= s.Start {
			open = append(open, next)
			next++
		}
		kept := open[:0]
		for _, k := range open {
			if doc.Sections[k].End > s.Start {
				kept = append(kept, k)
			}
		}
		open = kept
		inner := -1
		for _, k := range open {
			if inner < 0 || doc.Sections[k].Start > doc.Sections[inner].Start ||
				doc.Sections[k].Start == doc.Sections[inner].Start && doc.Sections[k].Level >= doc.Sections[inner].Level {
				inner = k
			}
		}
		if inner >= 0 {
			s.Section = doc.Sections[inner].Title
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
