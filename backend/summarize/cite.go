package summarize

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/marker"
)

// Citation markers are written by package marker (its doc says what they
// look like); a title that comes back later in the document gets " (2)",
// " (3)"… so a marker names one run of chunks (labels.go). These short
// names are the ones this package uses throughout.
var (
	pageMarker    = marker.Pages
	passageMarker = marker.Passages
	sectionMarker = marker.Section
	cleanTitle    = marker.Title
	cutTitle      = marker.Cut
)

const maxTitle = marker.MaxTitle

// markerRe finds what looks like a citation: a bracketed page, section or
// passage reference, the same in parentheses, or a bare numbered reference
// like "[3]". Page references need a number ("[Paris]" is not one).
var markerRe = regexp.MustCompile(`\[\s*((?i:pp?\.?|pages?))\s*(\d[^\[\]\n]{0,40}?)\s*\]` +
	`|\[\s*(§|¶)\s*([^\[\]\n]{0,160}?)\s*\]` +
	`|\(\s*((?i:pp?\.))\s*(\d[^()\n]{0,40}?)\s*\)` +
	`|\(\s*(§|¶)\s*([^()\n]{0,160}?)\s*\)` +
	`|\[\s*\d+(?:\s*[-–—,]\s*\d+)*\s*\]`)

var rangeRe = regexp.MustCompile(`^(\d+)(?:\s*(?:[-–—]|to)\s*(\d+))?\.?$`)

// parsed is a marker found in text, understood.
type parsed struct {
	kind  byte // 'p' page, '¶' passage, '§' section; 0 not understood
	a, b  int
	title string
	paren bool
}

// parseMarker understands a markerRe match (its submatches).
func parseMarker(m []string) parsed {
	var kind, body string
	var p parsed
	for g := 1; g+1 < len(m); g += 2 {
		if m[g] != "" {
			kind, body, p.paren = m[g], m[g+1], g >= 5
			break
		}
	}
	switch {
	case kind == "":
		return p // "[3]"
	case kind == "§":
		p.kind, p.title = '§', cleanTitle(body)
		return p
	}
	r := rangeRe.FindStringSubmatch(strings.TrimSpace(body))
	if r == nil {
		return p
	}
	p.a, _ = strconv.Atoi(r[1])
	p.b = p.a
	if r[2] != "" {
		p.b, _ = strconv.Atoi(r[2])
	}
	if p.b < p.a {
		return parsed{paren: p.paren}
	}
	p.kind = 'p'
	if kind == "¶" {
		p.kind = '¶'
	}
	return p
}

// markerSet is the markers a step may cite: those of its inputs.
type markerSet struct {
	byKey  map[string]string // lower-cased canonical form → marker
	ranges []parsed          // page and passage markers, for containment
	marks  []string          // in order of ranges
}

func newMarkerSet(lists ...[]string) *markerSet {
	s := &markerSet{byKey: map[string]string{}}
	for _, l := range lists {
		for _, m := range l {
			if _, ok := s.byKey[strings.ToLower(m)]; ok {
				continue
			}
			s.byKey[strings.ToLower(m)] = m
			if sm := markerRe.FindStringSubmatch(m); sm != nil {
				if p := parseMarker(sm); p.kind == 'p' || p.kind == '¶' {
					s.ranges, s.marks = append(s.ranges, p), append(s.marks, m)
				}
			}
		}
	}
	return s
}

// resolve returns the valid marker a found one means: itself in canonical
// form, or the narrowest valid range of the same kind that contains it
// ("[p. 5]" when only "[pp. 4–6]" exists). keep reports whether text that
// is not a valid marker should stay in the text (a parenthesis that is not
// a reference).
func (s *markerSet) resolve(m []string) (marker string, keep bool) {
	p := parseMarker(m)
	var canon string
	switch p.kind {
	case 0:
		return "", p.paren
	case '§':
		canon = sectionMarker(p.title)
	case 'p':
		canon = pageMarker(p.a, p.b)
	case '¶':
		canon = passageMarker(p.a, p.b)
	}
	if v, ok := s.byKey[strings.ToLower(canon)]; ok {
		return v, false
	}
	best, width := "", 0
	for i, r := range s.ranges {
		if r.kind == p.kind && r.a <= p.a && p.b <= r.b && (best == "" || r.b-r.a < width) {
			best, width = s.marks[i], r.b-r.a
		}
	}
	return best, false
}

// source is text a step was given and the markers it is cited by.
type source struct {
	text    string
	markers []string
	words   map[string]bool
}

// citer rewrites a step's output so that every claim carries valid markers.
type citer struct {
	set     *markerSet
	sources []source
	last    []string // markers of the previous claim
}

func newCiter(sources []source) *citer {
	var lists [][]string
	for i := range sources {
		sources[i].words = wordSet(sources[i].text)
		lists = append(lists, sources[i].markers)
	}
	return &citer{set: newMarkerSet(lists...), sources: sources}
}

// cite keeps the valid markers of text (in canonical form), drops invented
// ones, and gives every sentence or bullet without one the markers of the
// source it shares the most words with; in a paragraph, consecutive
// sentences with the same attributed markers carry them once, at the end.
func cite(text string, sources []source) string {
	c := newCiter(sources)
	text = dropBroken(strings.TrimSpace(text))
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		out = append(out, c.line(line))
	}
	return strings.TrimSpace(blankRunsRe.ReplaceAllString(strings.Join(out, "\n"), "\n\n"))
}

var (
	openMarkerRe = regexp.MustCompile(`^\[\s*(?:(?i:pp?\.?|pages?)(?:[\s\d]|$)|§|¶)`)
	blankRunsRe  = regexp.MustCompile(`\n(?:[ \t]*\n){2,}`)
	headingRe    = regexp.MustCompile(`^\s{0,3}(?:#{1,6}\s+\S|\*\*[^*]+\*\*:?\s*$|__[^_]+__:?\s*$)`)
	bulletRe     = regexp.MustCompile(`^(\s*(?:[-*•+]|\d{1,2}[.)])\s+)(.*)$`)
	spacesRe     = regexp.MustCompile(`[ \t]{2,}`)
	spacePunctR  = regexp.MustCompile(`\s+([.,;:!?])`)
	terminalRe   = regexp.MustCompile(`([.!?…]+["'”’)]*)\s*$`)
)

// dropBroken removes markers left unclosed ("[pp. 4" cut off by the end
// of an answer, or "[pp" before another marker).
func dropBroken(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '[')
		if j < 0 {
			b.WriteString(text[i:])
			break
		}
		b.WriteString(text[i : i+j])
		i += j
		end := len(text)
		if k := strings.IndexAny(text[i+1:], "[]\n"); k >= 0 {
			end = i + 1 + k
		}
		if openMarkerRe.MatchString(text[i:]) && (end == len(text) || text[end] != ']') {
			i = end // unclosed: drop it
			continue
		}
		b.WriteByte('[')
		i++
	}
	return b.String()
}

func (c *citer) line(line string) string {
	if strings.TrimSpace(line) == "" {
		return ""
	}
	if headingRe.MatchString(line) || isLabel(line) {
		return strings.TrimSpace(c.strip(line))
	}
	if m := bulletRe.FindStringSubmatch(line); m != nil {
		s := c.sentence(m[2])
		if !hasWords(s.text) {
			return ""
		}
		if len(s.markers) == 0 {
			s.markers, s.attached = c.attribute(s.body), true
		}
		return m[1] + s.render()
	}
	var ss []claim
	for _, part := range splitSentences(line) {
		s := c.sentence(part)
		switch {
		case !hasWords(s.text) && len(s.markers) == 0:
			continue // only invented markers
		case len(s.markers) == 0:
			s.markers, s.attached = c.attribute(s.body), true
		}
		ss = append(ss, s)
	}
	var parts []string
	for i, s := range ss {
		if s.attached && i+1 < len(ss) && slices.Equal(s.markers, ss[i+1].markers) {
			s.markers = nil // the next sentence carries the same markers
		}
		if r := s.render(); r != "" {
			parts = append(parts, r)
		}
	}
	return strings.Join(parts, " ")
}

// isLabel reports a short line ending in a colon ("Key points:"): it
// introduces claims rather than making one.
func isLabel(line string) bool {
	t := strings.TrimSpace(markerRe.ReplaceAllString(line, ""))
	return strings.HasSuffix(t, ":") && len(strings.Fields(t)) <= 8
}

// strip removes every marker from a line that makes no claim.
func (c *citer) strip(line string) string {
	return tidy(markerRe.ReplaceAllStringFunc(line, func(m string) string {
		if _, keep := c.set.resolve(markerRe.FindStringSubmatch(m)); keep {
			return m
		}
		return ""
	}))
}

// claim is a sentence or bullet: its text with valid markers in place, its
// words without markers, and the markers it carries.
type claim struct {
	text     string
	body     string
	markers  []string
	attached bool // markers chosen by attribution, not written by the model
}

func (c *citer) sentence(s string) claim {
	var cl claim
	cl.text = strings.TrimSpace(tidy(markerRe.ReplaceAllStringFunc(s, func(m string) string {
		v, keep := c.set.resolve(markerRe.FindStringSubmatch(m))
		switch {
		case v != "":
			if !slices.Contains(cl.markers, v) {
				cl.markers = append(cl.markers, v)
				return v
			}
			return ""
		case keep:
			return m
		}
		return ""
	})))
	cl.body = markerRe.ReplaceAllString(s, " ")
	if len(cl.markers) > 0 {
		c.last = cl.markers
	}
	return cl
}

// render writes the claim, with attached markers before its final
// punctuation.
func (cl claim) render() string {
	if !cl.attached || len(cl.markers) == 0 {
		return cl.text
	}
	ms := strings.Join(cl.markers, " ")
	if loc := terminalRe.FindStringIndex(cl.text); loc != nil && loc[0] > 0 {
		return strings.TrimRight(cl.text[:loc[0]], " ") + " " + ms + cl.text[loc[0]:]
	}
	if cl.text == "" {
		return ms
	}
	return cl.text + " " + ms
}

// attribute picks the markers of the source sharing the most words with a
// claim; with no word in common, the previous claim's markers, else the
// first source's.
func (c *citer) attribute(body string) []string {
	words := wordSet(body)
	best, score := -1, 0
	for i, s := range c.sources {
		n := 0
		for w := range words {
			if s.words[w] {
				n++
			}
		}
		if n > score && len(s.markers) > 0 {
			best, score = i, n
		}
	}
	switch {
	case best >= 0:
		c.last = c.sources[best].markers
	case c.last == nil:
		for _, s := range c.sources {
			if len(s.markers) > 0 {
				c.last = s.markers
				break
			}
		}
	}
	return slices.Clone(c.last)
}

// tidy closes the gaps a removed marker leaves.
func tidy(s string) string {
	return spacePunctR.ReplaceAllString(spacesRe.ReplaceAllString(s, " "), "$1")
}

// splitSentences splits a line after ., ! or ? (and closing quotes) when
// whitespace and a capital, digit, quote or the end follow; markers right
// after the punctuation stay with the sentence before them.
func splitSentences(line string) []string {
	line = strings.TrimSpace(line)
	spans := markerRe.FindAllStringIndex(line, -1)
	inMarker := func(i int) int { // end of the marker starting at i, or -1
		for _, sp := range spans {
			if sp[0] == i {
				return sp[1]
			}
		}
		return -1
	}
	var out []string
	start := 0
	for i := 0; i < len(line); {
		if end := inMarker(i); end > 0 {
			i = end
			continue
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		i += size
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		j := i
		for j < len(line) {
			c, n := utf8.DecodeRuneInString(line[j:])
			if !strings.ContainsRune(".!?\"'”’)", c) {
				break
			}
			j += n
		}
		k := j
		for {
			for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
				k++
			}
			end := inMarker(k)
			if end < 0 {
				break
			}
			j, k = end, end
		}
		if k < len(line) {
			if k == j {
				continue // no space after the punctuation: "3.5", "e.g.x"
			}
			next, _ := utf8.DecodeRuneInString(line[k:])
			if !unicode.IsUpper(next) && !unicode.IsDigit(next) && !strings.ContainsRune("\"'“‘(*[", next) {
				continue
			}
		}
		out = append(out, strings.TrimSpace(line[start:j]))
		start, i = k, k
	}
	if rest := strings.TrimSpace(line[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// wordSet is the lower-cased words of text worth matching on: three or
// more letters or digits and not a common word.
func wordSet(text string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if utf8.RuneCountInString(w) >= 3 && !commonWords[w] {
			set[w] = true
		}
	}
	return set
}

var commonWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and for are but not you all any can had her was one our out
		has him his how its may new now see two who did get let put say she too use that this with from
		they them then than there their these those what when where which while will would could should
		have been were into also more most some such only other over under about after before each very
		passage summary document section page pages`) {
		commonWords[w] = true
	}
}

// segments splits a saved piece's text into sources: each run of text up to
// the markers that end it. Text after the last marker is cited by the
// piece's own markers.
func segments(text string, markers []string) []source {
	var out []source
	prev := 0
	for _, loc := range markerRe.FindAllStringIndex(text, -1) {
		m := text[loc[0]:loc[1]]
		if strings.TrimSpace(text[prev:loc[0]]) == "" && len(out) > 0 {
			last := &out[len(out)-1]
			if !slices.Contains(last.markers, m) {
				last.markers = append(last.markers, m)
			}
		} else {
			out = append(out, source{text: text[prev:loc[0]], markers: []string{m}})
		}
		prev = loc[1]
	}
	if rest := text[prev:]; len(wordSet(rest)) > 0 || len(out) == 0 {
		out = append(out, source{text: rest, markers: markers})
	}
	return out
}

// markersIn lists the distinct markers of text in order.
func markersIn(text string) []string {
	var out []string
	for _, m := range markerRe.FindAllString(text, -1) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// hasWords reports whether text says anything once markers are removed.
func hasWords(text string) bool {
	return strings.IndexFunc(markerRe.ReplaceAllString(text, ""), func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	}) >= 0
}

// extract is what a step says when the model wrote nothing: the first
// sentence of each source with its markers, as bullets for keypoints.
func extract(style string, sources []source, maxWords int) string {
	var parts []string
	words := 0
	for _, s := range sources {
		first := ""
		for _, line := range strings.Split(s.text, "\n") {
			if t := strings.TrimSpace(markerRe.ReplaceAllString(line, "")); hasWords(t) && !headingRe.MatchString(line) {
				if ss := splitSentences(t); len(ss) > 0 {
					first = ss[0]
					break
				}
			}
		}
		f := strings.Fields(first)
		if len(f) == 0 || words >= maxWords {
			continue
		}
		f = f[:min(len(f), max(maxWords-words, 8), 40)]
		words += len(f)
		parts = append(parts, claim{text: strings.Join(f, " "), markers: s.markers, attached: true}.render())
	}
	if style == "keypoints" {
		return "- " + strings.Join(parts, "\n- ")
	}
	return strings.Join(parts, " ")
}

// leaf is where a marker points: the chunks of the map units it labels.
type leaf struct {
	first, last        int
	pageStart, pageEnd int
	section            string
}

// citations lists the markers of text with the chunks they point at, in
// document order.
func citations(text string, index map[string]*leaf) []Citation {
	out := []Citation{}
	for _, m := range markersIn(text) {
		if l, ok := index[m]; ok {
			out = append(out, Citation{Marker: m, FirstChunk: l.first, LastChunk: l.last,
				PageStart: l.pageStart, PageEnd: l.pageEnd, Section: l.section})
		}
	}
	slices.SortStableFunc(out, func(a, b Citation) int {
		if a.FirstChunk != b.FirstChunk {
			return a.FirstChunk - b.FirstChunk
		}
		return a.LastChunk - b.LastChunk
	})
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
