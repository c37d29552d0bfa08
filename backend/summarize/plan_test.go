package summarize

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

func TestChoose(t *testing.T) {
	cases := []struct {
		ctx, parallel int
		fails         bool
	}{
		{128, 0, true}, {512, 1, false}, {1024, 1, false}, {2048, 2, false}, {3000, 2, false},
		{4096, 4, false}, {32768, 4, false},
	}
	for _, c := range cases {
		p, err := choose(c.ctx, 60, 70, 256)
		if c.fails {
			if err == nil {
				t.Errorf("ctx %d: accepted %+v", c.ctx, p)
			}
			continue
		}
		if err != nil || p.parallel != c.parallel {
			t.Errorf("ctx %d: %+v, %v; want %d sequences", c.ctx, p, err, c.parallel)
			continue
		}
		// A full batch of the largest steps fits the context.
		for _, s := range []struct{ over, budget, answer int }{{60, p.mapBudget, p.mapAnswer}, {70, p.reduceBudget, p.reduceAnswer}} {
			if need := p.parallel * (s.over + templateSlack + s.budget + s.answer); need > c.ctx {
				t.Errorf("ctx %d: a batch needs %d", c.ctx, need)
			}
			if s.answer > 256 || s.answer > s.budget {
				t.Errorf("ctx %d: answer %d for a budget of %d", c.ctx, s.answer, s.budget)
			}
		}
	}
	if p, _ := choose(4096, 60, 70, 16); p.mapAnswer != 16 {
		t.Errorf("answer cap ignored: %+v", p)
	}
}

func TestPlanUnits(t *testing.T) {
	f := newFake(4096)
	cases := []struct {
		name     string
		sizes    []int // sentences (14 words) per chunk
		sections []string
		budget   int
		units    int
	}{
		{"all in one", []int{1, 1, 1}, nil, 100, 1},
		{"greedy", []int{2, 2, 2, 2}, nil, 50, 4},
		{"pairs", []int{1, 1, 1, 1, 1}, nil, 40, 3},
		{"a long chunk in parts", []int{1, 10, 1}, nil, 60, 2 + 3},
		{"headings count", []int{1, 1, 1, 1}, []string{"Aa bb", "Aa bb", "Cc dd", "Cc dd"}, 47, 2},
		{"a heading starts each unit", []int{1, 1, 1, 1}, []string{"Aa bb", "Aa bb", "Aa bb", "Aa bb"}, 46, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := plainDoc(c.sizes, c.sections)
			for i := range d.chunks {
				d.chunks[i].Ord = i
			}
			us, err := planUnits(context.Background(), f, newLabels(d.chunks), d.chunks, c.budget)
			if err != nil {
				t.Fatal(err)
			}
			if len(us) != c.units {
				t.Errorf("%d units, want %d", len(us), c.units)
			}
			next := 0
			for _, u := range us {
				if words := len(strings.Fields(u.text)); words > c.budget {
					t.Errorf("unit %+v has %d words", u, words)
				}
				if u.part == 0 && u.first != next || u.parts < 1 || u.part >= u.parts {
					t.Errorf("unit %d–%d part %d/%d after chunk %d", u.first, u.last, u.part, u.parts, next-1)
				}
				if u.part == u.parts-1 {
					next = u.last + 1
				}
			}
			if next != len(d.chunks) {
				t.Errorf("units end at chunk %d of %d", next, len(d.chunks))
			}
		})
	}
}

func TestSplitChunk(t *testing.T) {
	text := strings.Repeat("A sentence of seven words is here. ", 40)
	for _, budget := range []int{10, 50, 100, 279} {
		parts, err := splitChunk(context.Background(), newFake(4096), text, budget)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(strings.Fields(strings.Join(parts, " ")), " ") != strings.Join(strings.Fields(text), " ") {
			t.Errorf("budget %d: parts do not make the text", budget)
		}
		for _, p := range parts {
			if n := len(strings.Fields(p)); n > budget || n == 0 {
				t.Errorf("budget %d: a part of %d words", budget, n)
			}
		}
		if budget >= 14 && !strings.HasSuffix(parts[0], ".") {
			t.Errorf("budget %d: cut inside a sentence: %q", budget, parts[0])
		}
	}
}

// Degenerate cuts never panic: more parts than bytes, one byte, a rune
// longer than its share, budgets of one token.
func TestSplitChunkEdges(t *testing.T) {
	cases := []struct {
		text string
		n    int
	}{
		{"ab", 5}, {"é", 3}, {"x", 2}, {"", 4}, {"日本語のテキスト", 20}, {"word word word", 100},
	}
	for _, c := range cases {
		parts := cutInto(c.text, c.n)
		if strings.Join(parts, "") != strings.Join(strings.Fields(c.text), "") && strings.Join(parts, " ") != c.text {
			t.Errorf("cutInto(%q, %d) = %q loses text", c.text, c.n, parts)
		}
	}
	for _, text := range []string{"abc", "a b c d e f g", strings.Repeat("長", 50)} {
		if _, err := splitChunk(context.Background(), newFake(4096), text, 1); err != nil {
			t.Errorf("splitChunk(%q, 1): %v", text, err)
		}
	}
}

// Every level of combining has fewer pieces than the one below, as many as
// planned whatever the sizes, and every group fits the budget.
func TestGroupInputsShrinks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		budget := 50 + rng.IntN(200)
		n := 2 + rng.IntN(12)
		per := 2 + rng.IntN(5)
		var ins []input
		alive := 0
		for i := range n {
			words := 1 + rng.IntN(budget*2)
			in := input{ord: i, alive: rng.IntN(5) > 0}
			if in.alive {
				alive++
				in.text = strings.TrimSpace(strings.Repeat("word ", words)) + " [p. 1]"
				in.tokens = words + 4 // the marker is two words; two for the blank line
			}
			ins = append(ins, in)
		}
		gs := groupInputs(ins, per, budget)
		if len(gs) >= n || len(gs) != (n+per-1)/per {
			t.Fatalf("trial %d: %d groups of %d pieces, %d a group", trial, len(gs), n, per)
		}
		next := 0
		for _, g := range gs {
			if g.first != next || g.last < g.first {
				t.Fatalf("trial %d: groups %+v do not tile 0..%d", trial, gs, n-1)
			}
			next = g.last + 1
			words := 0
			for _, text := range g.texts {
				words += len(strings.Fields(text)) + 2
			}
			if words > budget {
				t.Errorf("trial %d: a group of %d words for a budget of %d", trial, words, budget)
			}
		}
		if next != n {
			t.Fatalf("trial %d: groups end at %d of %d", trial, next, n)
		}
	}
}

func TestGroupInputsByFanIn(t *testing.T) {
	in := func(ord, tokens int) input {
		return input{ord: ord, alive: tokens > 0, tokens: tokens, text: strings.Repeat("w ", tokens)}
	}
	cases := []struct {
		name   string
		ins    []input
		fanIn  int
		budget int
		want   [][2]int
	}{
		{"short texts still go fanIn at a time", []input{in(0, 10), in(1, 10), in(2, 10)}, 2, 100, [][2]int{{0, 1}, {2, 2}}},
		{"all in one", []input{in(0, 10), in(1, 10), in(2, 10)}, 4, 100, [][2]int{{0, 2}}},
		{"failed keep their place", []input{in(0, 40), in(1, 0), in(2, 40), in(3, 0)}, 2, 100, [][2]int{{0, 1}, {2, 3}}},
		{"too long: cut to fit", []input{in(0, 70), in(1, 70), in(2, 70), in(3, 70)}, 2, 100, [][2]int{{0, 1}, {2, 3}}},
		{"a fan-in below two is two", []input{in(0, 5), in(1, 5), in(2, 5)}, 1, 100, [][2]int{{0, 1}, {2, 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gs := groupInputs(c.ins, c.fanIn, c.budget)
			var got [][2]int
			for _, g := range gs {
				got = append(got, [2]int{g.first, g.last})
				words := 0
				for _, text := range g.texts {
					words += len(strings.Fields(text))
				}
				if words > c.budget {
					t.Errorf("group %d..%d: %d words for a budget of %d", g.first, g.last, words, c.budget)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%v, want %v", got, c.want)
			}
		})
	}
}

// reduceSteps counts the steps groupInputs makes, level by level.
func TestReduceStepsIsTheTree(t *testing.T) {
	p := params{mapAnswer: 200, reduceAnswer: 150, reduceBudget: 1300}
	if fanIn(p) != 6 {
		t.Fatalf("fanIn = %d, want 6 (1300 / (200+2+8))", fanIn(p))
	}
	for _, n := range []int{1, 2, 5, 6, 7, 36, 37, 208, 613} {
		want, level := 0, n
		for level > 1 {
			ins := make([]input, level)
			for i := range ins {
				ins[i] = input{ord: i, alive: true, text: "w", tokens: 1}
			}
			level = len(groupInputs(ins, fanIn(p), p.reduceBudget))
			want += level
		}
		if got := reduceSteps(n, p); got != want {
			t.Errorf("reduceSteps(%d) = %d, groupInputs makes %d", n, got, want)
		}
	}
}

func TestParsePrompt(t *testing.T) {
	ok := "notes\n## map\nm\n## combine\nc\n## final\nf\n"
	p, err := parsePrompt("x", ok)
	if err != nil || p.mapping != "m" || p.combine != "c" || p.final != "f" || p.version == "" {
		t.Errorf("%+v, %v", p, err)
	}
	for _, bad := range []string{
		"## map\nm\n## combine\nc\n",
		"## map\nm\n## combine\n\n## final\nf\n",
		"## map\nm\n## map\nm\n## combine\nc\n## final\nf\n",
		ok + "## extra\nx\n",
	} {
		if _, err := parsePrompt("x", bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	for _, style := range Styles {
		if prompts[style].mapping == "" {
			t.Errorf("style %s has no prompts", style)
		}
	}
}

// Each run of a section gets its own marker, also when titles differ only
// after the cut or the title comes back later.
func TestSectionMarkersAreDistinct(t *testing.T) {
	long := strings.Repeat("Configuration of the system ", 4)
	chunks := []store.Chunk{{Section: long + "A"}, {Section: long + "B"}, {Section: long + "A"}, {Section: "Short"}, {Section: "Short"}}
	lb := newLabels(chunks)
	seen := map[string]bool{}
	for i, m := range lb.section {
		if i == 4 {
			if m != lb.section[3] {
				t.Errorf("one run of a section has two markers: %q, %q", lb.section[3], m)
			}
			continue
		}
		if seen[m] || len([]rune(m)) > maxTitle {
			t.Errorf("marker %q repeated or longer than %d", m, maxTitle)
		}
		seen[m] = true
	}
}
