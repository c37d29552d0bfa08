package summarize

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/store"
)

// checkCitations checks that every marker in the text is a listed citation
// pointing at existing chunks, every citation is used, no invented marker
// survived, every line of claims ends cited, and each echoed sentence is
// cited by a marker covering where it came from.
func checkCitations(t *testing.T, v View, doc store.Document, chunks []store.Chunk) {
	t.Helper()
	if strings.Contains(v.Text, "999") {
		t.Errorf("an invented marker survived:\n%s", v.Text)
	}
	byMarker := map[string]Citation{}
	for _, c := range v.Citations {
		byMarker[c.Marker] = c
		if !strings.Contains(v.Text, c.Marker) {
			t.Errorf("citation %q is not in the text", c.Marker)
		}
		if c.FirstChunk < 0 || c.LastChunk >= len(chunks) || c.FirstChunk > c.LastChunk {
			t.Errorf("citation %+v points outside chunks 0..%d", c, len(chunks)-1)
			continue
		}
		if doc.Pages > 0 && (c.PageStart != chunks[c.FirstChunk].PageStart || c.PageEnd < chunks[c.LastChunk].PageEnd) {
			t.Errorf("citation %+v: its chunks run over pages %d–%d", c, chunks[c.FirstChunk].PageStart, chunks[c.LastChunk].PageEnd)
		}
	}
	for _, m := range markersIn(v.Text) {
		if _, ok := byMarker[m]; !ok {
			t.Errorf("marker %q in the text is not a citation", m)
		}
	}
	word := regexp.MustCompile(`w(\d+)s\d+`)
	for _, line := range strings.Split(v.Text, "\n") {
		if strings.TrimSpace(line) == "" || headingRe.MatchString(line) || isLabel(line) {
			continue
		}
		locs := markerRe.FindAllStringIndex(line, -1)
		if len(locs) == 0 || strings.TrimRight(line[locs[len(locs)-1][1]:], ".!? ") != "" {
			t.Errorf("line does not end cited: %q", line)
			continue
		}
		for _, s := range splitSentences(line) {
			m := word.FindStringSubmatch(s)
			if m == nil {
				continue
			}
			n, _ := strconv.Atoi(m[1])
			at := strings.Index(line, s)
			var cited []Citation // the markers of this sentence, or the next that has some
			for _, loc := range locs {
				if loc[0] >= at && (len(cited) == 0 || loc[0] <= at+len(s)) {
					cited = append(cited, byMarker[line[loc[0]:loc[1]]])
					if loc[0] >= at+len(s) {
						break
					}
				}
			}
			ok := false
			for _, c := range cited {
				if doc.Pages > 0 && c.PageStart <= n && n <= c.PageEnd || doc.Pages == 0 && c.FirstChunk <= n-1 && n-1 <= c.LastChunk {
					ok = true
				}
			}
			if !ok {
				t.Errorf("sentence from %d is cited by %+v: %q", n, cited, s)
			}
		}
	}
}

func chunksOf(t *testing.T, st *store.Store, id int64) []store.Chunk {
	t.Helper()
	cs, err := st.Chunks(context.Background(), id, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func pieces(t *testing.T, st *store.Store, id int64) []store.SummaryPiece {
	t.Helper()
	ps, err := st.Pieces(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// checkMapCovers checks that the map pieces cover every chunk exactly once
// (the parts of a split chunk together).
func checkMapCovers(t *testing.T, ps []store.SummaryPiece, n int) {
	t.Helper()
	seen := make([]int, n)
	for _, p := range ps {
		if p.Level == 0 && p.Part == 0 {
			for c := p.First; c <= p.Last; c++ {
				seen[c]++
			}
		}
	}
	for c, k := range seen {
		if k != 1 {
			t.Errorf("chunk %d is in %d map pieces", c, k)
		}
	}
}

// Documents of every kind come out complete, covered and cited.
func TestSummarizeDocuments(t *testing.T) {
	cases := []struct {
		name     string
		doc      testDoc
		ctxSize  int
		style    string
		coverage string
		check    func(t *testing.T, f *fakeEngine, ps []store.SummaryPiece)
	}{
		{"113 pages", pagedDoc(113, 6, 4), 4096, "brief", "Covers pages 1–113 of 113", func(t *testing.T, f *fakeEngine, ps []store.SummaryPiece) {
			if !slices.Contains(f.batches, 4) {
				t.Errorf("batches %v: never 4 sequences at once", f.batches)
			}
			if top := ps[len(ps)-1].Level; top < 2 {
				t.Errorf("%d levels; want reduce levels", top+1)
			}
		}},
		{"113 pages keypoints", pagedDoc(113, 6, 4), 4096, "keypoints", "Covers pages 1–113 of 113", nil},
		{"2-page memo", pagedDoc(2, 3, 2), 4096, "brief", "Covers pages 1–2 of 2", func(t *testing.T, f *fakeEngine, ps []store.SummaryPiece) {
			if len(ps) != 1 || f.calls() != 1 {
				t.Errorf("%d pieces and %d calls; want one map piece", len(ps), f.calls())
			}
		}},
		{"one chunk", plainDoc([]int{2}, nil), 4096, "detailed", "Covers the only passage", nil},
		{"small context splits", plainDoc([]int{3, 90, 4, 3}, nil), 512, "brief", "Covers all 4 passages", func(t *testing.T, f *fakeEngine, ps []store.SummaryPiece) {
			for _, b := range f.batches {
				if b != 1 {
					t.Fatalf("batches %v; a 512-token context runs one sequence at a time", f.batches)
				}
			}
			parts := 0
			for _, p := range ps {
				if p.Level == 0 && p.Parts > 1 {
					parts++
					if p.First != 1 || p.Last != 1 {
						t.Errorf("part %+v is not of chunk 1", p)
					}
				}
			}
			if parts < 2 {
				t.Errorf("%d parts of the long chunk", parts)
			}
		}},
		{"sections", plainDoc([]int{3, 3, 3, 3, 3}, []string{"", "Setup", "Setup", "Usage", "Setup"}), 4096, "detailed",
			"Covers the opening and all 3 sections", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, f := openStore(t), newFake(c.ctxSize)
			doc := c.doc.add(t, st, c.name)
			var events []Progress
			v, err := New(st, f, nil).Summarize(context.Background(), doc.ID, c.style, func(p Progress) { events = append(events, p) })
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != StatusComplete || v.Coverage != c.coverage {
				t.Fatalf("status %q, coverage %q (error %q); want complete, %q", v.Status, v.Coverage, v.Error, c.coverage)
			}
			chunks := chunksOf(t, st, doc.ID)
			checkCitations(t, v, doc, chunks)
			ps := pieces(t, st, v.ID)
			checkMapCovers(t, ps, len(chunks))
			if v.PiecesDone != len(ps) || v.PiecesTotal != len(ps) {
				t.Errorf("view says %d of %d pieces; %d saved", v.PiecesDone, v.PiecesTotal, len(ps))
			}
			last := events[len(events)-1]
			if last.Status != StatusComplete || last.View == nil || last.View.Text != v.Text || last.PiecesDone != len(ps) {
				t.Errorf("last event %+v", last)
			}
			for i, e := range events[:len(events)-1] {
				if e.Status != StatusRunning || e.PiecesDone > e.PiecesTotal || (i > 0 && e.PiecesDone < events[i-1].PiecesDone) {
					t.Errorf("event %d: %+v", i, e)
				}
				// The count is planned before the first piece: it never changes.
				if e.PiecesTotal != len(ps) {
					t.Errorf("event %d: %d pieces in all, but %d were made", i, e.PiecesTotal, len(ps))
				}
				if e.PiecesDone > 0 && e.ETASeconds < 0 {
					t.Errorf("event %d: no ETA after %d pieces", i, e.PiecesDone)
				}
			}
			if c.check != nil {
				c.check(t, f, ps)
			}
			t.Logf("%s\n%s", v.Coverage, v.Text)
		})
	}
}

// A complete summary with the same document, model and style comes back
// without the engine.
func TestCachedSummaryMakesNoEngineCall(t *testing.T) {
	st, f := openStore(t), newFake(4096)
	doc := pagedDoc(20, 6, 4).add(t, st, "doc")
	first, err := New(st, f, nil).Summarize(context.Background(), doc.ID, "brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	again := newFake(4096)
	s := New(st, again, nil)
	v, err := s.Summarize(context.Background(), doc.ID, "brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	started, err := s.Start(doc.ID, "brief", func(string, any) { t.Error("a cached summary emitted an event") })
	if err != nil {
		t.Fatal(err)
	}
	if again.calls() != 0 || again.counts != 0 {
		t.Errorf("cache hit made %d generations and %d token counts", again.calls(), again.counts)
	}
	if v.Text != first.Text || v.ID != first.ID || started.Text != first.Text || started.Status != StatusComplete {
		t.Errorf("cached %+v\nstarted %+v\nfirst %+v", v, started, first)
	}
	// Another style is another summary.
	if v, err := s.Summarize(context.Background(), doc.ID, "keypoints", nil); err != nil || v.ID == first.ID || again.calls() == 0 {
		t.Errorf("keypoints: %+v, %v", v, err)
	}
}

// A summary stopped after some pieces resumes without making them again.
func TestCancelThenResume(t *testing.T) {
	for _, after := range []int{1, 5, 9} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			d := pagedDoc(60, 6, 4)
			fresh := newFake(4096)
			fst := openStore(t)
			want, err := New(fst, fresh, nil).Summarize(context.Background(), d.add(t, fst, "doc").ID, "brief", nil)
			if err != nil {
				t.Fatal(err)
			}

			st := openStore(t)
			doc := d.add(t, st, "doc")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := newFake(4096)
			first.cancelAfter, first.cancel = after, cancel
			v, err := New(st, first, nil).Summarize(ctx, doc.ID, "brief", nil)
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != StatusCanceled || v.PiecesDone != after || v.Text != "" || v.ChunksSummarized == 0 || v.ChunksSummarized > doc.Chunks {
				t.Fatalf("stopped: %+v", v)
			}
			second := newFake(4096)
			v, err = New(st, second, nil).Summarize(context.Background(), doc.ID, "brief", nil)
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != StatusComplete || v.Text != want.Text {
				t.Errorf("resumed: %q %q\nwant %q", v.Status, v.Text, want.Text)
			}
			if first.calls()+second.calls() != fresh.calls() {
				t.Errorf("%d + %d generations; a run without stopping makes %d", first.calls(), second.calls(), fresh.calls())
			}
			for _, u := range second.generated {
				if slices.Contains(first.generated, u) {
					t.Errorf("made again: %.60q", u)
				}
			}
		})
	}
}

// Saved pieces that no longer match the plan are made again, with every
// piece after them; those before are kept.
func TestResumeDropsPiecesOffThePlan(t *testing.T) {
	d := pagedDoc(60, 6, 4)
	fresh := newFake(4096)
	fst := openStore(t)
	want, err := New(fst, fresh, nil).Summarize(context.Background(), d.add(t, fst, "doc").ID, "brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	doc := d.add(t, st, "doc")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := newFake(4096)
	first.cancelAfter, first.cancel = 4, cancel
	v, err := New(st, first, nil).Summarize(ctx, doc.ID, "brief", nil)
	if err != nil || v.Status != StatusCanceled {
		t.Fatalf("%+v, %v", v, err)
	}
	ps := pieces(t, st, v.ID)
	bad := ps[2]
	bad.Last++
	if err := st.SavePiece(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
	second := newFake(4096)
	if v, err = New(st, second, nil).Summarize(context.Background(), doc.ID, "brief", nil); err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusComplete || v.Text != want.Text || second.calls() != fresh.calls()-2 {
		t.Errorf("%q after %d of %d generations:\n%q\nwant %q", v.Status, second.calls(), fresh.calls(), v.Text, want.Text)
	}
}

// A piece the engine fails leaves a partial summary whose coverage names the
// pages and why; every map piece failing fails the summary.
func TestFailedPieces(t *testing.T) {
	cases := []struct {
		name   string
		failOn string
		status string
	}{
		{"one piece", "w41s2 ", StatusPartial},
		{"every piece", "Record", StatusFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, f := openStore(t), newFake(4096)
			f.failOn = c.failOn
			doc := pagedDoc(113, 6, 4).add(t, st, "doc")
			v, err := New(st, f, nil).Summarize(context.Background(), doc.ID, "brief", nil)
			if err != nil {
				t.Fatal(err)
			}
			chunks := chunksOf(t, st, doc.ID)
			var failed []store.SummaryPiece
			for _, p := range pieces(t, st, v.ID) {
				if p.Status == store.PieceFailed {
					failed = append(failed, p)
				}
			}
			if v.Status != c.status || len(failed) == 0 {
				t.Fatalf("status %q with %d failed pieces; want %q", v.Status, len(failed), c.status)
			}
			if c.status == StatusFailed {
				if v.Text != "" || v.Coverage != "Covers no pages of 113; pages 1–113 failed: the engine stopped" || v.Error != "the engine stopped" {
					t.Errorf("%+v", v)
				}
				return
			}
			a, b := chunks[failed[0].First].PageStart, chunks[failed[0].Last].PageEnd
			want := fmt.Sprintf("Covers pages 1–%d and %d–113 of 113; pages %d–%d failed: the engine stopped", a-1, b+1, a, b)
			if len(failed) != 1 || failed[0].Level != 0 || v.Coverage != want || a > 41 || b < 41 {
				t.Errorf("failed %+v\ncoverage %q\nwant     %q", failed, v.Coverage, want)
			}
			checkCitations(t, v, doc, chunks)
			for _, ci := range v.Citations {
				if ci.PageEnd >= a && ci.PageStart <= b && ci.FirstChunk >= failed[0].First && ci.LastChunk <= failed[0].Last {
					t.Errorf("citation %+v points into the failed piece", ci)
				}
			}
		})
	}
}

// Summarising a partial summary again retries the failed pieces and makes
// again every piece above them.
func TestRetryPartial(t *testing.T) {
	cases := []struct {
		name   string
		doc    testDoc
		failOn string
	}{
		{"113 pages", pagedDoc(113, 6, 4), "w41s2 "},
		{"two map pieces, one combine", pagedDoc(10, 6, 4), "w9s2 "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { retryPartial(t, c.doc, c.failOn) })
	}
}

func retryPartial(t *testing.T, d testDoc, failOn string) {
	fresh := newFake(4096)
	fst := openStore(t)
	want, err := New(fst, fresh, nil).Summarize(context.Background(), d.add(t, fst, "doc").ID, "brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, f := openStore(t), newFake(4096)
	f.failOn = failOn
	doc := d.add(t, st, "doc")
	if v, err := New(st, f, nil).Summarize(context.Background(), doc.ID, "brief", nil); err != nil || v.Status != StatusPartial {
		t.Fatalf("%+v, %v", v, err)
	}
	again := newFake(4096)
	v, err := New(st, again, nil).Summarize(context.Background(), doc.ID, "brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, wantPieces := pieces(t, st, v.ID), pieces(t, fst, want.ID)
	if len(got) != len(wantPieces) {
		t.Fatalf("%d pieces, a run without failures has %d", len(got), len(wantPieces))
	}
	for i := range got {
		if got[i].Text != wantPieces[i].Text || got[i].Status != store.PieceComplete {
			t.Errorf("piece %d/%d out of date: %q\nwant %q", got[i].Level, got[i].Ord, got[i].Text, wantPieces[i].Text)
		}
	}
	maps := 0
	for _, u := range again.generated {
		if strings.HasPrefix(u, "Passage ") {
			maps++
		}
	}
	if v.Status != StatusComplete || v.Text != want.Text || v.Coverage != want.Coverage || maps != 1 || again.calls() >= fresh.calls() {
		t.Errorf("%q %q after %d generations (%d map) of %d:\n%q\nwant %q", v.Status, v.Coverage, again.calls(), maps, fresh.calls(), v.Text, want.Text)
	}
}

// Start returns at once and emits progress; Stop keeps what is done; a
// second Start resumes; Close stops and waits.
func TestStartStopClose(t *testing.T) {
	st, f := openStore(t), newFake(4096)
	doc := pagedDoc(30, 6, 4).add(t, st, "doc")
	s := New(st, f, nil)
	f.hold, f.holding = make(chan struct{}), make(chan struct{})
	holding := f.holding

	var mu sync.Mutex
	var events []Progress
	finished := make(chan View, 4)
	emit := func(name string, payload any) {
		if pc, ok := payload.(Piece); ok {
			if name != PieceEvent(pc.SummaryID) {
				t.Errorf("piece event %q for summary %d", name, pc.SummaryID)
			}
			return
		}
		p := payload.(Progress)
		if name != ProgressEvent(p.SummaryID) {
			t.Errorf("event %q for summary %d", name, p.SummaryID)
		}
		mu.Lock()
		events = append(events, p)
		mu.Unlock()
		if p.View != nil {
			finished <- *p.View
		}
	}
	v, err := s.Start(doc.ID, "brief", emit)
	if err != nil || v.Status != StatusRunning {
		t.Fatalf("start: %+v, %v", v, err)
	}
	<-holding
	if again, err := s.Start(doc.ID, "brief", emit); err != nil || again.ID != v.ID || again.Status != StatusRunning {
		t.Errorf("second start while running: %+v, %v", again, err)
	}
	if _, err := s.Summarize(context.Background(), doc.ID, "brief", nil); err == nil {
		t.Error("Summarize ran a summary that is already running")
	}
	if err := s.Stop(doc.ID); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, finished); got.Status != StatusCanceled || got.ID != v.ID {
		t.Fatalf("after stop: %+v", got)
	}

	f.hold = nil
	if _, err := s.Start(doc.ID, "brief", emit); err != nil {
		t.Fatal(err)
	}
	got := wait(t, finished)
	if got.Status != StatusComplete || got.Coverage != "Covers pages 1–30 of 30" {
		t.Fatalf("resumed: %+v", got)
	}
	if v, err := s.Start(doc.ID, "brief", emit); err != nil || v.Status != StatusComplete || v.Text != got.Text {
		t.Errorf("start when complete: %+v, %v", v, err)
	}

	// Close stops a running summary and waits for it to be saved.
	f.hold, f.holding = make(chan struct{}), make(chan struct{})
	holding = f.holding
	if _, err := s.Start(doc.ID, "detailed", emit); err != nil {
		t.Fatal(err)
	}
	<-holding
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, finished); got.Status != StatusCanceled {
		t.Errorf("after close: %+v", got)
	}
	if _, err := s.Start(doc.ID, "keypoints", emit); err == nil {
		t.Error("started after Close")
	}
}

func wait(t *testing.T, ch chan View) View {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("no final event")
		return View{}
	}
}

func TestSummarizeRejects(t *testing.T) {
	st := openStore(t)
	doc := pagedDoc(3, 3, 2).add(t, st, "doc")
	empty := testDoc{}.add(t, st, "empty")
	cases := []struct {
		name  string
		ctx   int
		id    int64
		style string
	}{
		{"unknown style", 4096, doc.ID, "haiku"},
		{"no document", 4096, 999, "brief"},
		{"no text", 4096, empty.ID, "brief"},
		{"context too small", 128, doc.ID, "brief"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := New(st, newFake(c.ctx), nil).Summarize(context.Background(), c.id, c.style, nil)
			if err == nil && v.Status != StatusFailed {
				t.Errorf("accepted: %+v", v)
			}
		})
	}
}

// A section title longer than a map step's room (an <h1> wrapping a whole
// paragraph) is cut in headings and markers; the summary still covers
// every section.
func TestHugeSectionTitle(t *testing.T) {
	st := openStore(t)
	title := strings.Repeat("An extremely long heading that goes on ", 60)
	doc := plainDoc([]int{6, 6, 6}, []string{title, title, "Short"}).add(t, st, "huge")
	v, err := New(st, newFake(512), nil).Summarize(context.Background(), doc.ID, "brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusComplete || v.ChunksSummarized != 3 {
		t.Errorf("%+v", v)
	}
	for _, c := range v.Citations {
		if len([]rune(c.Marker)) > 70 {
			t.Errorf("marker %q is not cut", c.Marker)
		}
	}
}

// Pages without text (a scanned appendix) are named, not claimed.
func TestScannedPagesAreNotClaimed(t *testing.T) {
	st := openStore(t)
	d := pagedDoc(10, 3, 3)
	d.pages = 14 // pages 11–14 hold only images
	doc := d.add(t, st, "scanned")
	v, err := New(st, newFake(4096), nil).Summarize(context.Background(), doc.ID, "brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Covers pages 1–10 of 14; pages 11–14 have no text to read (scanned images?)"; v.Coverage != want || v.Status != StatusComplete {
		t.Errorf("coverage %q (%s), want %q", v.Coverage, v.Status, want)
	}
}
