package summarize

import (
	"context"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
)

func TestPassage(t *testing.T) {
	st := openStore(t)
	doc := pagedDoc(5, 3, 2).add(t, st, "doc")
	chunks := chunksOf(t, st, doc.ID)
	s := New(st, newFake(4096), nil)
	p, err := s.Passage(context.Background(), doc.ID, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != pageBreaks(chunks[1].Text+chunks[2].Text, chunks[1].PageStart) || p.FirstChunk != 1 || p.LastChunk != 2 ||
		p.PageStart != chunks[1].PageStart || p.PageEnd != chunks[2].PageEnd {
		t.Errorf("%+v", p)
	}
	cases := []struct {
		name        string
		id          int64
		first, last int
		code        apperr.Code
	}{
		{"backwards", doc.ID, 2, 1, apperr.Invalid},
		{"negative", doc.ID, -1, 1, apperr.Invalid},
		{"past the end", doc.ID, 50, 60, apperr.NotFound},
		{"no document", 999, 0, 1, apperr.NotFound},
	}
	for _, c := range cases {
		if _, err := s.Passage(context.Background(), c.id, c.first, c.last); apperr.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func TestDetailAndDelete(t *testing.T) {
	st, f := openStore(t), newFake(4096)
	doc := pagedDoc(30, 6, 4).add(t, st, "doc")
	s := New(st, f, nil)
	v, err := s.Summarize(context.Background(), doc.ID, "brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Detail(context.Background(), doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Document.ID != doc.ID || len(d.Summaries) != 1 || d.Summaries[0].Text != v.Text ||
		d.Summaries[0].ChunksSummarized != doc.Chunks || v.ChunksSummarized != doc.Chunks || d.Sections == nil {
		t.Errorf("%+v", d)
	}

	// Deleting a document stops its running summary first.
	f.hold, f.holding = make(chan struct{}), make(chan struct{})
	holding := f.holding
	final := make(chan View, 1)
	if _, err := s.Start(doc.ID, "keypoints", func(_ string, p any) {
		if pr := p.(Progress); pr.View != nil {
			final <- *pr.View
		}
	}); err != nil {
		t.Fatal(err)
	}
	<-holding
	if err := s.Delete(context.Background(), doc.ID); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, final); got.Status != StatusCanceled {
		t.Errorf("%+v", got)
	}
	if _, err := st.GetDocument(context.Background(), doc.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("document still there: %v", err)
	}
}

func TestPageBreaks(t *testing.T) {
	cases := []struct {
		text  string
		first int
		want  string
	}{
		{"one page", 4, "one page"},
		{"end of four\fall of five\fstart of six", 4, "end of four\n\n— page 5 —\n\nall of five\n\n— page 6 —\n\nstart of six"},
		{"no pages\fat all", 0, "no pages\n\nat all"},
	}
	for _, c := range cases {
		if got := pageBreaks(c.text, c.first); got != c.want {
			t.Errorf("pageBreaks(%q, %d) = %q, want %q", c.text, c.first, got, c.want)
		}
	}
}

func TestPassageFor(t *testing.T) {
	st := openStore(t)
	paged := pagedDoc(6, 2, 2).add(t, st, "paged")                                                               // one chunk a page
	sections := plainDoc([]int{1, 1, 1, 1}, []string{"Setup", "Usage", "Setup", "Setup"}).add(t, st, "sections") // Setup runs twice
	plain := plainDoc([]int{1, 1, 1}, nil).add(t, st, "plain")
	s := New(st, newFake(4096), nil)
	cases := []struct {
		doc         int64
		marker      string
		first, last int
		code        apperr.Code
	}{
		{paged.ID, "[p. 3]", 2, 2, ""},
		{paged.ID, "[pp. 2–4]", 1, 3, ""},
		{paged.ID, "[pp. 5-6]", 4, 5, ""},
		{sections.ID, "[§ Usage]", 1, 1, ""},
		{sections.ID, "[§ Setup]", 0, 0, ""},
		{sections.ID, "[§ Setup (2)]", 2, 3, ""},
		{plain.ID, "[¶ 2–3]", 1, 2, ""},
		{paged.ID, "[p. 99]", 0, 0, apperr.NotFound},
		{sections.ID, "[§ Nowhere]", 0, 0, apperr.NotFound},
		{paged.ID, "page three", 0, 0, apperr.Invalid},
	}
	for _, c := range cases {
		p, err := s.PassageFor(context.Background(), c.doc, c.marker)
		if c.code != "" {
			if apperr.CodeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", c.marker, err, c.code)
			}
			continue
		}
		if err != nil || p.FirstChunk != c.first || p.LastChunk != c.last {
			t.Errorf("%s: chunks %d–%d (%v), want %d–%d", c.marker, p.FirstChunk, p.LastChunk, err, c.first, c.last)
		}
	}
}
