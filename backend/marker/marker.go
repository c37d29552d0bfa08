// Package marker writes the citation markers summaries and answers put in
// their text. A paginated document cites pages, "[p. 5]" or "[pp. 12–14]"
// (en dash); a document without pages cites its sections, "[§
// Installation]", and passages before the first section, or every passage
// of a document without sections, by their 1-based chunk numbers, "[¶ 3]"
// or "[¶ 3–5]". Reading markers back (and numbering a title that comes back
// later in a document) is package summarize's.
package marker

import (
	"strconv"
	"strings"

	"github.com/chapelapp/chapel/backend/store"
)

// MaxTitle is the most characters of a section title in a marker.
const MaxTitle = 60

// Pages is the marker of pages a to b.
func Pages(a, b int) string { return rangeOf("p. ", "pp. ", a, b) }

// Passages is the marker of passages (1-based chunk numbers) a to b.
func Passages(a, b int) string { return rangeOf("¶ ", "¶ ", a, b) }

func rangeOf(one, many string, a, b int) string {
	if a == b {
		return "[" + one + strconv.Itoa(a) + "]"
	}
	return "[" + many + strconv.Itoa(a) + "–" + strconv.Itoa(b) + "]"
}

// Section is the marker of a section by its title.
func Section(title string) string { return "[§ " + Title(title) + "]" }

// Title makes a section title safe inside a marker: one line, no square
// brackets, at most MaxTitle characters.
func Title(t string) string {
	return Cut(strings.Join(strings.Fields(strings.NewReplacer("[", "(", "]", ")").Replace(t)), " "), MaxTitle)
}

// Cut cuts t to at most n characters, ending with "…" when cut.
func Cut(t string, n int) string {
	if r := []rune(t); len(r) > n {
		return strings.TrimSpace(string(r[:n-1])) + "…"
	}
	return t
}

// Chunk is the marker of one chunk on its own: its pages, else its
// section, else its passage number (what an answer about a document cites).
func Chunk(c store.Chunk) string {
	switch {
	case c.PageStart > 0:
		return Pages(c.PageStart, max(c.PageEnd, c.PageStart))
	case strings.TrimSpace(c.Section) != "":
		return Section(c.Section)
	}
	return Passages(c.Ord+1, c.Ord+1)
}
