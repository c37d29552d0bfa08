package pdf

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// A page's glyphs become words, words become fragments (runs of words on
// one baseline without a wide gap), fragments are split into columns and
// then joined into lines in reading order.

type word struct {
	text       []byte
	x0, x1, y  float64 // extent along the baseline, and the baseline
	size, spw  float64
	spaceAfter bool
	n          int // characters
	// lastX0, lastX1: the last glyph's extent; accent: a spacing accent
	// that ended the word, centred at accentX, waiting for its letter.
	lastX0, lastX1   float64
	accent, accentCh rune
	accentX          float64
}

type frag struct {
	words     []*word
	x0, x1, y float64
	size      float64
	n         int
}

// line is one laid-out line of a page.
type line struct {
	text      string
	x0, x1, y float64
	size      float64
	paraStart bool // the line starts a paragraph
	main      bool // the line is in the page's main text direction
}

// layoutPage turns glyphs into lines in reading order.
func layoutPage(glyphs []glyph) []line {
	if len(glyphs) == 0 {
		return nil
	}
	// Group glyphs by the quarter turn of their baseline; the largest group
	// is read first, the others (rotated margin notes) after it.
	var groups [4][]glyph
	ks := make([]int8, len(glyphs))
	last, rotated := 0, false
	for i, g := range glyphs {
		dx, dy := g.ex-g.x, g.ey-g.y
		k := last
		if math.Abs(dx)+math.Abs(dy) > 1e-6 {
			k = int(math.Round(math.Atan2(dy, dx)/(math.Pi/2))) & 3
		}
		last, ks[i] = k, int8(k)
		rotated = rotated || k != 0
	}
	if !rotated {
		groups[0] = glyphs // the usual page: no copy
	} else {
		for i, g := range glyphs {
			k := int(ks[i])
			g.x, g.y = rotate(g.x, g.y, k)
			g.ex, g.ey = rotate(g.ex, g.ey, k)
			groups[k] = append(groups[k], g)
		}
	}
	order := []int{0, 1, 2, 3}
	sort.SliceStable(order, func(i, j int) bool { return len(groups[order[i]]) > len(groups[order[j]]) })
	var out []line
	for i, k := range order {
		if len(groups[k]) == 0 {
			continue
		}
		words := buildWords(groups[k])
		frags := buildFrags(words)
		for _, block := range splitColumns(frags, 0) {
			ls := buildLines(block)
			for j := range ls {
				ls[j].main = i == 0
			}
			out = append(out, ls...)
		}
	}
	return out
}

// rotate turns a point by -k quarter turns, so text at k quarter turns
// reads left to right.
func rotate(x, y float64, k int) (float64, float64) {
	switch k {
	case 1:
		return y, -x
	case 2:
		return -x, -y
	case 3:
		return -y, x
	}
	return x, y
}

// buildWords joins glyphs, in content order, into words.
func buildWords(gs []glyph) []*word {
	var words []*word
	var w *word
	var recent [8]glyph // the last glyphs drawn, to spot overstrikes
	nRecent := 0
	pendingSpace := false
	for _, g := range gs {
		if g.space {
			pendingSpace = w != nil
			continue
		}
		if g.text == "" || g.size <= 0 || math.IsNaN(g.x+g.y+g.size) || math.IsInf(g.x+g.y+g.size, 0) {
			continue
		}
		// Text drawn twice at one spot (fake bold, shadows) counts once.
		dup := false
		for k := 0; k < min(nRecent, len(recent)); k++ {
			r := &recent[k]
			if r.text == g.text && math.Abs(r.x-g.x) < 0.1*g.size && math.Abs(r.y-g.y) < 0.1*g.size {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		recent[nRecent%len(recent)] = g
		nRecent++
		x0, x1 := g.x, g.ex
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		sameLine := w != nil && math.Abs(g.y-w.y) < 0.2*math.Max(g.size, w.size)
		if pendingSpace {
			// A space character separates words unless the next glyph is
			// drawn right where the previous one ended (a kerned-back space).
			pendingSpace = false
			if !sameLine || math.Abs(x0-w.x1) >= 0.08*g.size {
				w.spaceAfter = true
				w, sameLine = nil, false
			}
		}
		acc, isAccent := accentOf(g.text)
		center := (x0 + x1) / 2
		// A spacing accent drawn over the previous letter (TeX's \'e)
		// combines with it.
		if isAccent && sameLine && center > w.lastX0 && center < w.lastX1 && w.accent == 0 {
			w.text = composeLast(w.text, acc)
			continue
		}
		if sameLine && w.accent != 0 && !isAccent && math.Abs(center-w.accentX) < 0.3*g.size {
			// The accent came first: it belongs on this letter.
			w.text = append(w.text[:len(w.text)-utf8.RuneLen(w.accentCh)], g.text...)
			w.text = composeLast(w.text, w.accent)
			w.accent = 0
			w.x1 = math.Max(w.x1, x1)
			w.lastX0, w.lastX1 = x0, x1
			continue
		}
		if sameLine && x0 > w.x1-0.3*g.size && x0-w.x1 < wordGap(g.size, math.Min(g.spw, w.spw)) {
			w.text = append(w.text, g.text...)
			w.accent = 0
			if isAccent {
				w.accent, w.accentCh, w.accentX = acc, []rune(g.text)[0], center
			}
			w.x1 = math.Max(w.x1, x1)
			w.lastX0, w.lastX1 = x0, x1
			w.size = math.Max(w.size, g.size)
			w.n++
			continue
		}
		w = &word{x0: x0, x1: x1, y: g.y, size: g.size, spw: g.spw, n: 1, lastX0: x0, lastX1: x1}
		w.text = append(w.text, g.text...)
		if isAccent {
			w.accent, w.accentCh, w.accentX = acc, []rune(g.text)[0], center
		}
		words = append(words, w)
	}
	return words
}

// wordGap is the horizontal gap beyond which two glyphs belong to two words.
func wordGap(size, spaceEm float64) float64 {
	t := 0.5 * spaceEm
	if t < 0.12 {
		t = 0.12
	}
	if t > 0.3 {
		t = 0.3
	}
	return t * size
}

// buildFrags groups words sharing a baseline, without a wide gap, into
// fragments.
func buildFrags(words []*word) []*frag {
	sort.SliceStable(words, func(i, j int) bool { return words[i].y > words[j].y })
	var frags []*frag
	for i := 0; i < len(words); {
		// A run of words on one baseline, then left to right.
		j := i + 1
		for j < len(words) && words[i].y-words[j].y < 0.2*math.Min(words[i].size, words[j].size) {
			j++
		}
		row := words[i:j]
		sort.SliceStable(row, func(a, b int) bool { return row[a].x0 < row[b].x0 })
		var f *frag
		for _, w := range row {
			if f != nil && w.x0 > f.x1-0.5*w.size && w.x0-f.x1 < 1.5*math.Max(w.size, f.size) {
				f.words = append(f.words, w)
				f.x1 = math.Max(f.x1, w.x1)
				f.size = math.Max(f.size, w.size)
				f.n += w.n
				continue
			}
			f = &frag{words: []*word{w}, x0: w.x0, x1: w.x1, y: w.y, size: w.size, n: w.n}
			frags = append(frags, f)
		}
		i = j
	}
	return frags
}

// splitColumns orders fragments into blocks: when a vertical gutter with
// substantial text on both sides splits them, the left column is read
// before the right, band by band between fragments that cross the gutter.
func splitColumns(frags []*frag, depth int) [][]*frag {
	if len(frags) < 6 || depth > 3 {
		return [][]*frag{frags}
	}
	g0, g1, ok := findGutter(frags)
	if !ok {
		return [][]*frag{frags}
	}
	sort.SliceStable(frags, func(i, j int) bool { return frags[i].y > frags[j].y })
	var out [][]*frag
	var left, right, span []*frag
	flush := func() {
		if len(left) > 0 {
			out = append(out, splitColumns(left, depth+1)...)
		}
		if len(right) > 0 {
			out = append(out, splitColumns(right, depth+1)...)
		}
		left, right = nil, nil
	}
	for _, f := range frags {
		switch {
		case side(f, g0, g1) < 0:
			if len(span) > 0 {
				out = append(out, span)
				span = nil
			}
			left = append(left, f)
		case side(f, g0, g1) > 0:
			if len(span) > 0 {
				out = append(out, span)
				span = nil
			}
			right = append(right, f)
		default:
			flush()
			span = append(span, f)
		}
	}
	flush()
	if len(span) > 0 {
		out = append(out, span)
	}
	return out
}

// side places a fragment left (-1) or right (1) of the gutter [g0, g1], or
// across it (0). Fragments may reach a little into the gutter.
func side(f *frag, g0, g1 float64) int {
	c, w := (g0+g1)/2, (g1-g0)/4
	switch {
	case f.x1 <= c+w:
		return -1
	case f.x0 >= c-w:
		return 1
	}
	return 0
}

// findGutter looks for an empty vertical strip with enough text on both
// sides to be a column break.
func findGutter(frags []*frag) (float64, float64, bool) {
	minX, maxX := math.Inf(1), math.Inf(-1)
	total := 0
	sizes := make([]float64, 0, len(frags))
	for _, f := range frags {
		minX, maxX = math.Min(minX, f.x0), math.Max(maxX, f.x1)
		total += f.n
		sizes = append(sizes, f.size)
	}
	width := maxX - minX
	if width < 50 || width > 20000 || total == 0 {
		return 0, 0, false
	}
	sort.Float64s(sizes)
	med := sizes[len(sizes)/2]
	bins := int(width) + 1
	cover := make([]int, bins)
	narrow := 0
	for _, f := range frags {
		if f.x1-f.x0 > 0.6*width {
			continue
		}
		narrow++
		for b := max(0, int(f.x0-minX)); b < min(bins, int(f.x1-minX)+1); b++ {
			cover[b]++
		}
	}
	allowed := max(1, narrow/30)
	minWidth := math.Max(0.8*med, 6)
	best0, best1, bestScore := 0.0, 0.0, 0.0
	for b := 0; b < bins; {
		if cover[b] > allowed {
			b++
			continue
		}
		e := b
		for e < bins && cover[e] <= allowed {
			e++
		}
		g0, g1 := minX+float64(b), minX+float64(e)
		b = e
		if g1-g0 < minWidth || g0 <= minX+1 || g1 >= maxX-1 {
			continue
		}
		lc, rc, ll, rl := 0, 0, map[int]bool{}, map[int]bool{}
		var ltop, lbot, rtop, rbot = math.Inf(-1), math.Inf(1), math.Inf(-1), math.Inf(1)
		for _, f := range frags {
			switch {
			case side(f, g0, g1) < 0:
				lc += f.n
				ll[int(f.y)] = true
				ltop, lbot = math.Max(ltop, f.y), math.Min(lbot, f.y)
			case side(f, g0, g1) > 0:
				rc += f.n
				rl[int(f.y)] = true
				rtop, rbot = math.Max(rtop, f.y), math.Min(rbot, f.y)
			}
		}
		if lc < total/4 || rc < total/4 || len(ll) < 3 || len(rl) < 3 {
			continue
		}
		overlap := math.Min(ltop, rtop) - math.Max(lbot, rbot)
		if overlap < 0.5*math.Min(ltop-lbot, rtop-rbot) {
			continue
		}
		// The most even split wins (real columns hold similar amounts of
		// text); width only breaks ties between narrow gutters.
		score := math.Min(g1-g0, 3*med) * float64(min(lc, rc))
		if score > bestScore {
			best0, best1, bestScore = g0, g1, score
		}
	}
	return best0, best1, bestScore > 0
}

// buildLines joins a block's fragments into lines, top to bottom, and marks
// where paragraphs start.
func buildLines(frags []*frag) []line {
	sort.SliceStable(frags, func(i, j int) bool { return frags[i].y > frags[j].y })
	type group struct {
		frags    []*frag
		top, bot float64
		y, size  float64
	}
	var groups []*group
	for _, f := range frags {
		top, bot := f.y+0.7*f.size, f.y-0.2*f.size
		if n := len(groups); n > 0 {
			g := groups[n-1]
			ov := math.Min(top, g.top) - math.Max(bot, g.bot)
			if ov > 0.5*math.Min(top-bot, g.top-g.bot) {
				g.frags = append(g.frags, f)
				g.top, g.bot = math.Max(g.top, top), math.Min(g.bot, bot)
				if f.size > g.size {
					g.y, g.size = f.y, f.size
				}
				continue
			}
		}
		groups = append(groups, &group{frags: []*frag{f}, top: top, bot: bot, y: f.y, size: f.size})
	}
	lines := make([]line, 0, len(groups))
	for _, g := range groups {
		var words []*word
		for _, f := range g.frags {
			words = append(words, f.words...)
		}
		sort.SliceStable(words, func(i, j int) bool { return words[i].x0 < words[j].x0 })
		var b strings.Builder
		for i, w := range words {
			if i > 0 {
				p := words[i-1]
				if p.spaceAfter || w.x0-p.x1 > wordGap(math.Min(w.size, p.size), math.Min(w.spw, p.spw)) {
					b.WriteByte(' ')
				}
			}
			b.Write(w.text)
		}
		text := strings.TrimSpace(b.String())
		if text == "" {
			continue
		}
		lines = append(lines, line{text: text, x0: words[0].x0, x1: words[len(words)-1].x1, y: g.y, size: dominantSize(words)})
	}
	markParagraphs(lines)
	return lines
}

// dominantSize is the font size most of a line's characters have (a big
// initial or symbol does not make a line a heading).
func dominantSize(words []*word) float64 {
	count := map[float64]int{}
	best, most := 0.0, -1
	for _, w := range words {
		sz := math.Round(w.size*10) / 10
		count[sz] += w.n
		if c := count[sz]; c > most || c == most && sz < best {
			best, most = sz, c
		}
	}
	return best
}

// markParagraphs starts a paragraph at the first line, after a gap wider
// than the usual line pitch, and where the font size changes.
func markParagraphs(lines []line) {
	if len(lines) == 0 {
		return
	}
	pitches := make([]float64, 0, len(lines))
	for i := 1; i < len(lines); i++ {
		if d := lines[i-1].y - lines[i].y; d > 0 {
			pitches = append(pitches, d)
		}
	}
	sort.Float64s(pitches)
	med := 0.0 // the usual pitch: the lower quartile, robust to few lines
	if len(pitches) > 0 {
		med = pitches[len(pitches)/4]
	}
	lines[0].paraStart = true
	for i := 1; i < len(lines); i++ {
		p, c := lines[i-1], lines[i]
		d := p.y - c.y
		switch {
		case d <= 0 || med == 0:
			c.paraStart = d <= 0
		case d > 1.3*med+0.5:
			c.paraStart = true
		case math.Abs(c.size-p.size) > 0.15*math.Max(c.size, p.size):
			c.paraStart = true
		}
		lines[i] = c
	}
}
