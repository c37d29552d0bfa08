package marker

import (
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

func TestMarkers(t *testing.T) {
	cases := []struct{ name, got, want string }{
		{"one page", Pages(5, 5), "[p. 5]"},
		{"pages", Pages(12, 14), "[pp. 12–14]"},
		{"passages", Passages(3, 5), "[¶ 3–5]"},
		{"a title on one line, brackets made round", Section("  Getting [started]\n now "), "[§ Getting (started) now]"},
		{"a long title cut", Section("A title far too long to be a marker in a summary, so it is cut short here"),
			"[§ A title far too long to be a marker in a summary, so it is…]"},
		{"a chunk on pages", Chunk(store.Chunk{Ord: 4, PageStart: 2, PageEnd: 3, Section: "Setup"}), "[pp. 2–3]"},
		{"a chunk on one page", Chunk(store.Chunk{Ord: 4, PageStart: 7}), "[p. 7]"},
		{"a chunk in a section", Chunk(store.Chunk{Ord: 4, Section: "Setup"}), "[§ Setup]"},
		{"a chunk with neither", Chunk(store.Chunk{Ord: 4, Section: "  "}), "[¶ 5]"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if n := len([]rune(Title("A title far too long to be a marker in a summary, so it is cut short here"))); n > MaxTitle {
		t.Errorf("a cut title has %d characters, more than %d", n, MaxTitle)
	}
}
