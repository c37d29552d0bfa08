package summarize

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/store"
)

func TestPieceLabels(t *testing.T) {
	paged := []store.Chunk{{PageStart: 1, PageEnd: 1}, {PageStart: 1, PageEnd: 2}, {PageStart: 3, PageEnd: 3}, {}}
	sectioned := []store.Chunk{{}, {Section: "Setup"}, {Section: "Setup"}, {Section: "Usage"}, {Section: "Notes"}, {Section: "Setup"}}
	plain := []store.Chunk{{}, {}, {}}
	cases := []struct {
		name              string
		chunks            []store.Chunk
		first, last, part int
		parts             int
		want              string
	}{
		{"one page", paged, 0, 0, 0, 1, "Page 1"},
		{"a page range", paged, 0, 2, 0, 1, "Pages 1–3"},
		{"a part of a passage", paged, 1, 1, 1, 3, "Pages 1–2, part 2 of 3"},
		{"no page in a paged document", paged, 3, 3, 0, 1, "Passage 4"},
		{"before the first section", sectioned, 0, 0, 0, 1, "Passage 1"},
		{"one section", sectioned, 1, 2, 0, 1, "Setup"},
		{"two sections", sectioned, 2, 3, 0, 1, "Setup, Usage"},
		{"many sections, a title coming back", sectioned, 0, 5, 0, 1, "Passage 1 … Setup (2) (5 sections)"},
		{"passages", plain, 0, 2, 0, 1, "Passages 1–3"},
		{"one passage", plain, 1, 1, 0, 2, "Passage 2, part 1 of 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := range c.chunks {
				c.chunks[i].Ord = i
			}
			if got := newLabels(c.chunks).label(c.chunks, c.first, c.last, c.part, c.parts); got != c.want {
				t.Errorf("label %q, want %q", got, c.want)
			}
		})
	}
}

func TestPlanText(t *testing.T) {
	cases := []struct {
		maps, total int
		counts      string
		want        string
	}{
		{0, 0, CountsTokenizer, ""},
		{1, 1, CountsTokenizer, "The whole document in one step · token counts from the model's tokenizer"},
		{9, 12, CountsServer, "12 steps: 9 parts of the document, then 3 combining them · token counts from the server's tokenizer"},
		{2, 3, CountsEstimate, "3 steps: 2 parts of the document, then 1 combining them · token counts are estimates (the server has no tokenizer to ask), kept on the high side so every step fits"},
		{4, 0, "", "4 parts of the document, then combining them"},
	}
	for _, c := range cases {
		if got := planText(c.maps, c.total, c.counts); got != c.want {
			t.Errorf("planText(%d, %d, %q) = %q, want %q", c.maps, c.total, c.counts, got, c.want)
		}
	}
}

// A summary stopped part-way (here, Chapel closed: a new Service on the
// same database) shows the pieces it saved, in document order with their
// labels and engine, and the pieces it has still to make as pending; going
// on completes them.
func TestOutlineAfterRestart(t *testing.T) {
	st, f := openStore(t), newFake(1024)
	doc := pagedDoc(80, 6, 3).add(t, st, "restart")
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.cancelAfter = cancel, 3
	first := New(st, f, nil)
	v, err := first.Summarize(ctx, doc.ID, "brief", nil)
	if err != nil || v.Status != StatusCanceled {
		t.Fatalf("%+v %v", v, err)
	}
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	f.cancelAfter = 0
	s := New(st, f, nil)
	o, err := s.Outline(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	prevEnd := -1
	for i, p := range o.Pieces {
		counts[p.Status]++
		if p.Ord != i || p.FirstChunk != prevEnd+1 || !strings.HasPrefix(p.Label, "Page") {
			t.Errorf("piece %d: %+v (the one before ended at chunk %d)", i, p, prevEnd)
		}
		prevEnd = p.LastChunk
		switch p.Status {
		case PieceDone:
			if p.Engine != LocalEngine || p.Text == "" || len(p.Citations) == 0 {
				t.Errorf("a saved piece: %+v", p)
			}
		case PiecePending:
			if p.Engine != "" || p.Text != "" {
				t.Errorf("a pending piece: %+v", p)
			}
		}
	}
	if o.Status != StatusCanceled || counts[PieceDone] != 3 || counts[PiecePending] < 2 || counts[PieceDone]+counts[PiecePending] != len(o.Pieces) ||
		prevEnd != len(chunksOf(t, st, doc.ID))-1 || o.Plan == "" {
		t.Fatalf("outline after a restart: status %s, %v of %d pieces up to chunk %d, plan %q", o.Status, counts, len(o.Pieces), prevEnd, o.Plan)
	}
	if len(o.Engines) != 1 || o.Engines[0].Engine != LocalEngine || o.Engines[0].Done != 3 {
		t.Errorf("engines %+v", o.Engines)
	}

	done, err := s.Summarize(context.Background(), doc.ID, "brief", nil)
	if err != nil || done.Status != StatusComplete {
		t.Fatalf("%+v %v", done, err)
	}
	if o, err = s.Outline(context.Background(), v.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range o.Pieces {
		if p.Status != PieceDone {
			t.Errorf("after going on: %+v", p)
		}
	}
}

// A finished summary made again with Force: no saved piece is reused, the
// text made before stays while the new run goes on (and when it is
// stopped), and the new run completes.
func TestSummarizeAgain(t *testing.T) {
	st, f := openStore(t), newFake(2048)
	doc := pagedDoc(12, 4, 3).add(t, st, "again")
	s := New(st, f, nil)
	ctx := context.Background()
	before, err := s.Summarize(ctx, doc.ID, "keypoints", nil)
	if err != nil || before.Status != StatusComplete || before.Text == "" {
		t.Fatalf("%+v %v", before, err)
	}
	made := f.calls()
	if again, err := s.Summarize(ctx, doc.ID, "keypoints", nil); err != nil || again.ID != before.ID || f.calls() != made {
		t.Fatalf("not forced: %+v %v, %d engine calls after %d", again, err, f.calls(), made)
	}

	// Forced and stopped while its first batch runs.
	f.hold, f.holding = make(chan struct{}), make(chan struct{})
	holding := f.holding
	final := make(chan View, 1)
	emit := func(_ string, p any) {
		if pr, ok := p.(Progress); ok && pr.View != nil {
			final <- *pr.View
		}
	}
	v, err := s.StartRequest(Request{DocumentID: doc.ID, Style: "keypoints", Force: true}, emit)
	if err != nil || v.ID != before.ID || v.Status != StatusRunning || v.Text != before.Text {
		t.Fatalf("forced start: %+v %v", v, err)
	}
	<-holding
	o, err := s.Outline(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range o.Pieces {
		if p.Status == PieceDone {
			t.Errorf("a piece of the run before is shown as done in the forced run: %+v", p)
		}
	}
	if running, _ := s.view(ctx, v.ID); running.Text != before.Text || running.Coverage != before.Coverage {
		t.Errorf("while made again the summary reads %q, before %q", running.Text, before.Text)
	}
	if err := s.Stop(doc.ID); err != nil {
		t.Fatal(err)
	}
	var stopped View
	select {
	case stopped = <-final:
	case <-time.After(time.Minute): // a guard against a hang, not a measure
		t.Fatal("no final event")
	}
	if stopped.Status != StatusCanceled || stopped.Text != before.Text || len(stopped.Citations) != len(before.Citations) {
		t.Fatalf("a stopped forced run: %+v", stopped)
	}

	// Forced to the end: every piece is made again.
	f.hold = nil
	calls := f.calls()
	after, err := s.SummarizeRequest(ctx, Request{DocumentID: doc.ID, Style: "keypoints", Force: true}, nil)
	if err != nil || after.Status != StatusComplete || after.ID != before.ID {
		t.Fatalf("%+v %v", after, err)
	}
	if n := f.calls() - calls; n != made {
		t.Errorf("the forced run asked the engine %d times; the first run %d", n, made)
	}
}
