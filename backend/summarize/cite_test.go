package summarize

import (
	"slices"
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

func TestCite(t *testing.T) {
	sources := []source{
		{text: "The harbour grew quickly after the new quay opened.", markers: []string{"[pp. 1–2]"}},
		{text: "Trade fell sharply in winter when storms closed the port.", markers: []string{"[p. 3]"}},
		{text: "## Setup\nInstall the tools first.", markers: []string{"[§ Setup]"}},
	}
	cases := []struct{ name, in, want string }{
		{"attributes by overlap", "The harbour grew. Trade fell sharply.",
			"The harbour grew [pp. 1–2]. Trade fell sharply [p. 3]."},
		{"drops invented markers", "The harbour grew. [p. 999] Trade fell sharply [p. 42].",
			"The harbour grew [pp. 1–2]. Trade fell sharply [p. 3]."},
		{"drops numbered references", "Trade fell sharply [3].", "Trade fell sharply [p. 3]."},
		{"keeps valid markers in canonical form", "Trade fell (p. 3) in winter. The quay opened [PP. 1-2].",
			"Trade fell [p. 3] in winter. The quay opened [pp. 1–2]."},
		{"a page inside a range cites the range", "The quay opened [p. 2].", "The quay opened [pp. 1–2]."},
		{"a range inside no marker is dropped", "The quay opened [pp. 2–3].", "The quay opened [pp. 1–2]."},
		{"sections match without case", "Install the tools [§ setup].", "Install the tools [§ Setup]."},
		{"consecutive sentences share one marker", "The harbour grew. The quay opened quickly. Storms closed the port.",
			"The harbour grew. The quay opened quickly [pp. 1–2]. Storms closed the port [p. 3]."},
		{"no common word: the previous claim's", "Storms closed the port. Overall it was hard.",
			"Storms closed the port. Overall it was hard [p. 3]."},
		{"bullets each cited", "- Harbour grew\n* Trade fell [p. 3]\n1. Install tools",
			"- Harbour grew [pp. 1–2]\n* Trade fell [p. 3]\n1. Install tools [§ Setup]"},
		{"headings and labels carry none", "### Setup [§ Setup]\nKey points:\n- Install the tools.",
			"### Setup\nKey points:\n- Install the tools [§ Setup]."},
		{"a bullet of only invented markers goes", "- Trade fell\n- [p. 999]", "- Trade fell [p. 3]"},
		{"unclosed markers go", "Trade fell [pp. 3", "Trade fell [p. 3]"},
		{"unclosed before another", "Trade fell [pp [p. 3].", "Trade fell [p. 3]."},
		{"parentheses that are not markers stay", "Trade (mostly fish) fell.", "Trade (mostly fish) fell [p. 3]."},
		{"brackets that are not markers stay", "Trade fell in [Paris] and [Part 2].", "Trade fell in [Paris] and [Part 2] [p. 3]."},
		{"a parenthesised reference to nothing goes", "Trade fell (p. 77).", "Trade fell [p. 3]."},
		{"marker after the full stop stays", "Trade fell. [p. 3] The harbour grew.", "Trade fell. [p. 3] The harbour grew [pp. 1–2]."},
		{"blank lines collapse", "Trade fell.\n\n\n\nThe harbour grew.", "Trade fell [p. 3].\n\nThe harbour grew [pp. 1–2]."},
		{"indented prose is not code", "    Trade fell.", "Trade fell [p. 3]."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := cite(c.in, slices.Clone(sources)); got != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestSplitSentences(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"One. Two! Three?", []string{"One.", "Two!", "Three?"}},
		{"Costs rose 3.5 percent. Then fell.", []string{"Costs rose 3.5 percent.", "Then fell."}},
		{"See e.g. the table. Next.", []string{"See e.g. the table.", "Next."}},
		{"Rose [pp. 1–2]. Fell [p. 3].", []string{"Rose [pp. 1–2].", "Fell [p. 3]."}},
		{"Rose. [p. 1] [p. 2] Fell.", []string{"Rose. [p. 1] [p. 2]", "Fell."}},
		{`He said "stop." Then left.`, []string{`He said "stop."`, "Then left."}},
		{"no end", []string{"no end"}},
	}
	for _, c := range cases {
		if got := splitSentences(c.in); !slices.Equal(got, c.want) {
			t.Errorf("splitSentences(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSegments(t *testing.T) {
	got := segments("A rose [p. 1]. B fell [p. 2] [p. 3]. Tail text", []string{"[pp. 1–4]"})
	want := [][]string{{"[p. 1]"}, {"[p. 2]", "[p. 3]"}, {"[pp. 1–4]"}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if !slices.Equal(got[i].markers, want[i]) {
			t.Errorf("segment %d: %q cited by %q, want %q", i, got[i].text, got[i].markers, want[i])
		}
	}
}

func TestExtract(t *testing.T) {
	src := []source{{text: "## Intro\nThe harbour grew. More text.", markers: []string{"[p. 1]"}}, {text: "Trade fell.", markers: []string{"[p. 2]"}}}
	if got, want := extract("brief", src, 100), "The harbour grew [p. 1]. Trade fell [p. 2]."; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := extract("keypoints", src, 100), "- The harbour grew [p. 1].\n- Trade fell [p. 2]."; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestCoverageLines(t *testing.T) {
	paged := pagedDoc(10, 2, 2).chunks // one chunk a page
	for i := range paged {
		paged[i].Ord = i
	}
	plain := plainDoc([]int{1, 1, 1, 1, 1, 1}, nil).chunks
	sections := plainDoc([]int{1, 1, 1, 1}, []string{"", "Setup", "Usage", "Setup"}).chunks
	unitsOf := func(n int) []unit {
		var us []unit
		for i := range n {
			us = append(us, unit{first: i, last: i})
		}
		return us
	}
	cases := []struct {
		name   string
		chunks []store.Chunk
		pages  int
		lost   map[int]string
		want   string
	}{
		{"pages", paged, 10, nil, "Covers pages 1–10 of 10"},
		{"pages lost", paged, 10, map[int]string{3: "x", 4: "x", 8: "y"},
			"Covers pages 1–3, 6–8 and 10 of 10; pages 4–5 failed: x; page 9 failed: y"},
		{"pages all lost", paged[:1], 1, map[int]string{0: "x"}, "Covers no pages of 1; page 1 failed: x"},
		{"pages without text are named", paged, 12, nil, "Covers pages 1–10 of 12; pages 11–12 have no text to read (scanned images?)"},
		{"passages", plain, 0, nil, "Covers all 6 passages"},
		{"passages lost", plain, 0, map[int]string{1: "x", 2: "x"}, "Covers passages 1 and 4–6 of 6; passages 2–3 failed: x"},
		{"sections", sections, 0, nil, "Covers the opening and all 3 sections"},
		{"sections lost", sections, 0, map[int]string{2: "x", 3: "x"},
			"Covers the opening and 1 of 3 sections; “Usage” and “Setup (2)” failed: x"},
		{"opening lost", sections, 0, map[int]string{0: "y"}, "Covers all 3 sections; the opening failed: y"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			blank := map[int]bool{}
			for p := len(c.chunks) + 1; p <= c.pages; p++ {
				blank[p] = true
			}
			got := coverageLine(newLabels(c.chunks), c.chunks, c.pages, unitsOf(len(c.chunks)), c.lost, blank)
			if got != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
		})
	}
}
