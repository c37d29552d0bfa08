package summarize

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// Planning. A batch of P parallel sequences shares the model's context, so
// each sequence gets ContextSize/P tokens: the prompt's fixed part (system
// turn, header, template), the material, and the answer. P is the largest
// count, up to engine.MaxParallel, that leaves each sequence minSequence
// tokens; a 512-token model runs one sequence at a time.
const (
	minSequence = 1024
	sepTokens   = 2  // a blank line between chunks or inputs, and boundary effects of counting apart
	minBudget   = 64 // less material than this per step is not worth summarising
	countBatch  = 256
	cutSlack    = 12 // tokens of the marker and ellipsis a cut text ends with
)

// params are a summary's planning parameters.
type params struct {
	parallel     int
	sequence     int // context tokens each step has: the context ÷ parallel
	mapAnswer    int // MaxTokens of a map step
	reduceAnswer int // MaxTokens of a combine step
	mapBudget    int // material tokens per map step
	reduceBudget int // material tokens per combine step
	think        int // extra tokens per step for a reasoning model's thinking (thinking.go)
}

// choose derives the parameters from the context size, the fixed prompt
// tokens of a map and a combine step and the answer cap.
func choose(ctxSize, mapOverhead, reduceOverhead, maxAns int) (params, error) {
	p := params{parallel: max(1, min(engine.MaxParallel, ctxSize/minSequence))}
	seq := ctxSize / p.parallel
	p.sequence = seq
	split := func(overhead int) (answer, budget int) {
		avail := seq - overhead - templateSlack
		answer = max(1, min(maxAns, avail/4))
		reserve := answer
		if p.parallel == 1 {
			// Alone, the engine keeps min(max(answer, 256), ctx/4) free for the answer.
			reserve = max(answer, min(max(answer, 256), ctxSize/4))
		}
		return answer, avail - reserve
	}
	p.mapAnswer, p.mapBudget = split(mapOverhead)
	p.reduceAnswer, p.reduceBudget = split(reduceOverhead)
	if p.mapBudget < minBudget || p.reduceBudget < minBudget {
		return p, apperr.New(apperr.Invalid, "the model's context of %d tokens is too small to summarise with; load it with a larger context", ctxSize)
	}
	return p, nil
}

// unit is one map step: chunks first..last, or part part of parts of one
// chunk too long for a step.
type unit struct {
	first, last int
	part, parts int
	text        string   // the passage as the model sees it
	markers     []string // the markers it is cited by
	sources     []source // its text by marker, for attribution
}

// countTokens counts texts with the engine, a batch at a time.
func countTokens(ctx context.Context, eng Engine, texts []string) ([]int, error) {
	out := make([]int, 0, len(texts))
	for len(texts) > 0 {
		n := min(len(texts), countBatch)
		counts, err := eng.CountTokens(ctx, texts[:n])
		if err != nil {
			return nil, err
		}
		if len(counts) != n {
			return nil, apperr.New(apperr.Internal, "the engine counted %d texts of %d", len(counts), n)
		}
		out, texts = append(out, counts...), texts[n:]
	}
	return out, nil
}

// planUnits groups consecutive chunks into map units whose passage fits the
// budget, splitting a chunk too long on its own into parts.
func planUnits(ctx context.Context, eng Engine, lb *labels, chunks []store.Chunk, budget int) ([]unit, error) {
	texts := make([]string, 0, 2*len(chunks))
	for _, c := range chunks {
		texts = append(texts, c.Text, cleanTitle(c.Section)) // headings and markers show the title cut to 60 characters
	}
	counts, err := countTokens(ctx, eng, texts)
	if err != nil {
		return nil, err
	}
	// cost is chunk i's tokens in a unit starting at chunk first: its text,
	// the blank line, the heading line where a section starts and, cited by
	// sections, the section's marker in the header.
	cost := func(i, first int) int {
		n := counts[2*i] + sepTokens
		if lb.heading(chunks, first, i) != "" {
			n += counts[2*i+1] + 4
		}
		if lb.kind == bySections && chunks[i].Section != "" && (i == first || chunks[i-1].Section != chunks[i].Section) {
			n += counts[2*i+1] + 6
		}
		return n
	}
	var units []unit
	start, total := 0, 0
	flush := func(end int) {
		if end > start {
			units = append(units, lb.unit(chunks, start, end-1))
		}
		start, total = end, 0
	}
	for i := range chunks {
		if total > 0 && total+cost(i, start) > budget {
			flush(i)
		}
		c := cost(i, start)
		if c <= budget {
			total += c
			continue
		}
		parts, err := splitChunk(ctx, eng, chunks[i].Text, budget-(c-counts[2*i]))
		if err != nil {
			return nil, err
		}
		for k, text := range parts {
			u := lb.unit(chunks, i, i)
			u.part, u.parts = k, len(parts)
			u.text = lb.heading(chunks, i, i) + text
			u.sources = []source{{text: text, markers: u.markers}}
			units = append(units, u)
		}
		start = i + 1
	}
	flush(len(chunks))
	return units, nil
}

// splitChunk cuts text into the fewest parts of at most budget tokens, at
// sentence ends where it can, else at spaces.
func splitChunk(ctx context.Context, eng Engine, text string, budget int) ([]string, error) {
	budget = max(budget, 1)
	whole, err := countTokens(ctx, eng, []string{text})
	if err != nil {
		return nil, err
	}
	// More parts than bytes cannot help; the last resort below is one byte
	// (rune) per part.
	n := min(max(2, (whole[0]+budget-1)/budget), max(1, len(text)))
	for range 8 {
		parts := cutInto(text, n)
		counts, err := countTokens(ctx, eng, parts)
		if err != nil {
			return nil, err
		}
		worst := 0
		for _, c := range counts {
			worst = max(worst, c)
		}
		if worst <= budget {
			return parts, nil
		}
		if n >= len(text) {
			return parts, nil
		}
		n = min(max(n+1, n*worst/budget+1), len(text))
	}
	// Tokens far from bytes: cut by bytes so every part surely fits.
	return cutInto(text, min(max(n, len(text)/budget+1), max(1, len(text)))), nil
}

// cutInto cuts text into n parts of about equal length, each ending at a
// sentence end or a space near its share when there is one.
func cutInto(text string, n int) []string {
	var parts []string
	for k := n; k > 1 && len(text) > 1; k-- {
		target := max(1, len(text)/k)
		cut := boundary(text, target)
		parts = append(parts, strings.TrimSpace(text[:cut]))
		text = text[cut:]
	}
	if t := strings.TrimSpace(text); t != "" || len(parts) == 0 {
		parts = append(parts, t)
	}
	return parts
}

// boundary finds where to cut text near target: after the last sentence end
// in the window before target, else at the last space, else at a rune start.
func boundary(text string, target int) int {
	lo := max(1, target-target/3)
	if i := lastSentenceEnd(text[lo:target]); i >= 0 {
		return lo + i
	}
	if i := strings.LastIndexFunc(text[lo:target], unicode.IsSpace); i >= 0 {
		return lo + i + 1
	}
	for target > 1 && !utf8.RuneStart(text[target]) {
		target--
	}
	return max(target, 1)
}

func lastSentenceEnd(s string) int {
	for i := len(s) - 2; i >= 0; i-- {
		if (s[i] == '.' || s[i] == '!' || s[i] == '?') && (s[i+1] == ' ' || s[i+1] == '\n') {
			return i + 1
		}
	}
	return -1
}

// input is a piece's text as a combine step sees it, and what it costs.
type input struct {
	ord    int
	text   string
	tokens int
	alive  bool // complete; a failed piece is left out
}

// group is one combine step: pieces first..last of the level below, the
// inputs' texts (cut to fit when they have to be).
type group struct {
	first, last int
	texts       []string
	alive       []int // ords of the inputs with text
}

// groupInputs groups the pieces of a level fanIn at a time, in order, so
// that the whole tree of combine steps — and the summary's piece count —
// is known before the first piece is written (fanIn is chosen so that
// fanIn answers of the largest size fit a combine step's budget). A group
// whose texts are longer than the budget after all has them cut in
// proportion to fit. Failed pieces keep their place in their group.
func groupInputs(ins []input, fanIn, budget int) []group {
	fanIn = max(2, fanIn)
	var gs []group
	for start := 0; start < len(ins); start += fanIn {
		g := group{first: ins[start].ord}
		for _, in := range ins[start:min(len(ins), start+fanIn)] {
			g.last = in.ord
			if in.alive {
				g.alive = append(g.alive, in.ord)
			}
		}
		gs = append(gs, g)
	}
	byOrd := map[int]input{}
	for _, in := range ins {
		byOrd[in.ord] = in
	}
	for i := range gs {
		total := 0
		for _, o := range gs[i].alive {
			total += byOrd[o].tokens
		}
		// A cut text gets back a marker and an ellipsis: leave room for them.
		fraction := max(0.05, float64(budget-cutSlack*len(gs[i].alive))/float64(total))
		for _, o := range gs[i].alive {
			in := byOrd[o]
			text := in.text
			if total > budget && in.tokens > 0 {
				text = cutText(text, fraction)
			}
			gs[i].texts = append(gs[i].texts, text)
		}
	}
	return gs
}

// cutText keeps about the first fraction of text, ending at a space, and
// keeps the marker that ended the cut-off text so the kept claims stay cited.
func cutText(text string, fraction float64) string {
	n := int(float64(len(text)) * fraction)
	if n >= len(text) {
		return text
	}
	n = boundary(text, max(n, 2))
	kept := strings.TrimSpace(text[:n])
	segs := segments(kept, nil)
	if last := segs[len(segs)-1]; len(last.markers) == 0 {
		if ms := markersIn(text[n:]); len(ms) > 0 {
			kept += " " + ms[0]
		}
	}
	return kept + " …"
}

// fanIn is how many pieces one combine step takes: as many answers of the
// largest size (a map step's or a combine step's cap, its blank line and a
// marker's worth) as fit a combine step's material budget, at least two.
func fanIn(p params) int {
	return max(2, p.reduceBudget/(max(p.mapAnswer, p.reduceAnswer)+sepTokens+8))
}

// reduceSteps is how many combine steps n pieces of one level take: the
// levels above it, fanIn pieces to a step, down to the one final step.
func reduceSteps(n int, p params) int {
	per, total := fanIn(p), 0
	for n > 1 {
		n = (n + per - 1) / per
		total += n
	}
	return total
}
