package summarize

import (
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

// TestDamagedCoverage: the coverage line of a PDF cut short does not read
// as the whole document.
func TestDamagedCoverage(t *testing.T) {
	cases := []struct {
		name string
		doc  store.Document
		line string
		want string
	}{
		{"whole PDF", store.Document{Pages: 113, PagesAnnounced: 113}, "Covers pages 1–113 of 113", "Covers pages 1–113 of 113"},
		{"text file", store.Document{}, "Covers all 4 passages", "Covers all 4 passages"},
		{"page tree lost", store.Document{Pages: 31, PagesLost: true}, "Covers pages 1–31 of 31",
			"Covers pages 1–31 of the 31 that could be read (the file is damaged: pages after 31 are missing)"},
		{"pages announced", store.Document{Pages: 31, PagesAnnounced: 113}, "Covers pages 1–29 of 31; pages 30–31 failed: the model stopped",
			"Covers pages 1–29 of the 31 that could be read (the file is damaged: it announces 113 pages, and those after 31 are missing); pages 30–31 failed: the model stopped"},
		{"another form", store.Document{Pages: 3, PagesLost: true}, "Covers all 2 sections",
			"Covers all 2 sections (the file is damaged: pages after 3 are missing)"},
		{"a count that only starts alike", store.Document{Pages: 3, PagesLost: true}, "Covers pages 1–3 of 31",
			"Covers pages 1–3 of 31 (the file is damaged: pages after 3 are missing)"},
	}
	for _, c := range cases {
		if got := DamagedCoverage(c.doc, c.line); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
