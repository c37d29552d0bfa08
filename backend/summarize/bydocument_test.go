package summarize

import (
	"context"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

func TestStopDocument(t *testing.T) {
	st, f := openStore(t), newFake(4096)
	doc := pagedDoc(30, 6, 4).add(t, st, "doc")
	other := pagedDoc(3, 3, 2).add(t, st, "other")
	s := New(st, f, nil)
	// Nothing runs: stopping is not an error.
	if err := s.StopDocument(context.Background(), other.ID); err != nil {
		t.Fatal(err)
	}
	f.hold, f.holding = make(chan struct{}), make(chan struct{})
	holding := f.holding
	final := make(chan View, 1)
	if _, err := s.Start(doc.ID, "keypoints", func(_ string, p any) {
		if pr, ok := p.(Progress); ok && pr.View != nil {
			final <- *pr.View
		}
	}); err != nil {
		t.Fatal(err)
	}
	<-holding
	if err := s.StopDocument(context.Background(), doc.ID); err != nil {
		t.Fatal(err)
	}
	// It returned after the run ended: the final view is already sent.
	select {
	case got := <-final:
		if got.Status != StatusCanceled {
			t.Errorf("%+v", got)
		}
	default:
		t.Error("StopDocument returned before the summary ended")
	}
}

func TestCitedChunks(t *testing.T) {
	st := openStore(t)
	paged := chunksOf(t, st, pagedDoc(6, 2, 2).add(t, st, "paged").ID) // one chunk a page
	sections := chunksOf(t, st, plainDoc([]int{1, 1, 1, 1}, []string{"Setup", "Usage", "Setup", "Setup"}).add(t, st, "sections").ID)
	plain := chunksOf(t, st, plainDoc([]int{1, 1, 1}, nil).add(t, st, "plain").ID)
	cases := []struct {
		name        string
		chunks      []store.Chunk
		marker      string
		first, last int
		code        apperr.Code
	}{
		{"one page", paged, "[p. 3]", 2, 2, ""},
		{"pages with an en dash", paged, "[pp. 2–4]", 1, 3, ""},
		{"pages with a hyphen", paged, "[pp. 5-6]", 4, 5, ""},
		{"a section", sections, "[§ Usage]", 1, 1, ""},
		{"a title's first run", sections, "[§ Setup]", 0, 0, ""},
		{"a title's second run", sections, "[§ Setup (2)]", 2, 3, ""},
		{"passage numbers", plain, "[¶ 2–3]", 1, 2, ""},
		{"white space around", plain, " [¶ 1] ", 0, 0, ""},
		{"a page past the end", paged, "[p. 99]", 0, 0, apperr.NotFound},
		{"no such section", sections, "[§ Nowhere]", 0, 0, apperr.NotFound},
		{"not a marker", paged, "page three", 0, 0, apperr.Invalid},
	}
	for _, c := range cases {
		first, last, err := CitedChunks(c.chunks, c.marker)
		if c.code != "" {
			if apperr.CodeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
			continue
		}
		if err != nil || first != c.first || last != c.last {
			t.Errorf("%s (%s): chunks %d–%d (%v), want %d–%d", c.name, c.marker, first, last, err, c.first, c.last)
		}
	}
}
