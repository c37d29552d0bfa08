package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
)

// newDoc builds a document whose text is the given passages, one chunk
// each, one page each.
func newDoc(hash, name string, passages ...string) NewDocument {
	nd := NewDocument{Blake3: strings.Repeat(hash, 64/len(hash)), Name: name, Format: "pdf", SizeBytes: 1234, Title: name}
	for i, p := range passages {
		start := len(nd.Text)
		nd.Text += p
		nd.Pages = append(nd.Pages, DocumentPage{Number: i + 1, Start: start, End: len(nd.Text)})
		nd.Chunks = append(nd.Chunks, Chunk{Ord: i, Start: start, End: len(nd.Text), PageStart: i + 1, PageEnd: i + 1,
			Section: "Intro", Text: p})
	}
	nd.Sections = []DocumentSection{{Title: "Intro", Level: 1, Page: 1, Start: 0, End: len(nd.Text)}}
	return nd
}

func TestAddDocumentDedupesByHash(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a, created, err := s.AddDocument(ctx, newDoc("a", "report.pdf", "The harvest was large. ", "Rain fell in May."))
	if err != nil || !created {
		t.Fatalf("add: %v created=%v", err, created)
	}
	if a.Pages != 2 || a.Chunks != 2 || a.Name != "report.pdf" || a.Format != "pdf" {
		t.Errorf("document = %+v", a)
	}
	b, created, err := s.AddDocument(ctx, newDoc("a", "copy of report.pdf", "The harvest was large. ", "Rain fell in May."))
	if err != nil || created || b.ID != a.ID || b.Name != "report.pdf" {
		t.Errorf("same bytes again: %+v created=%v err=%v, want document %d unchanged", b, created, err, a.ID)
	}
	if found, ok, err := s.DocumentByHash(ctx, a.Blake3); err != nil || !ok || found.ID != a.ID {
		t.Errorf("by hash: %+v %v %v", found, ok, err)
	}
	docs, err := s.ListDocuments(ctx)
	if err != nil || len(docs) != 1 {
		t.Fatalf("list = %+v, %v", docs, err)
	}
	text, err := s.DocumentText(ctx, a.ID)
	if err != nil || text != "The harvest was large. Rain fell in May." {
		t.Errorf("text = %q, %v", text, err)
	}
	pages, sections, err := s.DocumentStructure(ctx, a.ID)
	if err != nil || len(pages) != 2 || len(sections) != 1 || pages[1].Start != 23 {
		t.Errorf("structure = %+v %+v %v", pages, sections, err)
	}
	cs, err := s.Chunks(ctx, a.ID, 1, -1)
	if err != nil || len(cs) != 1 || cs[0].Text != "Rain fell in May." || cs[0].PageStart != 2 {
		t.Errorf("chunks from 1 = %+v, %v", cs, err)
	}
}

func TestAddDocumentRefusesBadInput(t *testing.T) {
	s := openTest(t)
	gap := newDoc("b", "gap.pdf", "one ", "two")
	gap.Chunks[1].Start++
	short := newDoc("c", "short.pdf", "one ", "two")
	short.Chunks = short.Chunks[:1]
	cases := []struct {
		name string
		nd   NewDocument
	}{
		{"no hash", NewDocument{Name: "x"}},
		{"no name", newDoc("d", " ", "text")},
		{"gap between chunks", gap},
		{"chunks stop early", short},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := s.AddDocument(context.Background(), c.nd)
			wantCode(t, err, apperr.Invalid)
		})
	}
}

func TestSearchChunks(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	d, _, err := s.AddDocument(ctx, newDoc("e", "farm.pdf",
		"Wheat and barley grow in the north. ", "The harvest of wheat was large in 2020. ", "Cattle graze in the valleys."))
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := s.AddDocument(ctx, newDoc("f", "other.pdf", "Wheat everywhere, wheat wheat wheat."))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query string
		want  []int // chunk ords, best first
	}{
		{"How large was the wheat harvest?", []int{1, 0}},
		{"cattle", []int{2}},
		{"valley", []int{2}},              // prefix match
		{`"wheat" OR NEAR(`, []int{0, 1}}, // FTS syntax is quoted, never parsed; the shorter chunk ranks first
		{"the of and", nil},               // only stop words
		{"", nil},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			hits, err := s.SearchChunks(ctx, d.ID, c.query, 5)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, h := range hits {
				if h.DocumentID != d.ID {
					t.Errorf("hit from document %d, searched %d", h.DocumentID, d.ID)
				}
				got = append(got, h.Ord)
			}
			if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
				t.Errorf("ords = %v, want %v", got, c.want)
			}
		})
	}
	if err := s.DeleteDocument(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if hits, err := s.SearchChunks(ctx, d.ID, "wheat", 10); err != nil || len(hits) != 2 {
		t.Errorf("after deleting another document: %d hits, %v", len(hits), err)
	}
}

func TestDeleteDocumentCascadesAndDetachesConversations(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	d, _, err := s.AddDocument(ctx, newDoc("1", "a.pdf", "alpha beta"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.DocumentConversation(ctx, d.ID, "m.gguf")
	if err != nil || c.DocumentID == nil || *c.DocumentID != d.ID || c.Title != "About a.pdf" {
		t.Fatalf("document conversation = %+v, %v", c, err)
	}
	again, err := s.DocumentConversation(ctx, d.ID, "")
	if err != nil || again.ID != c.ID {
		t.Errorf("second call gave conversation %d, want %d (%v)", again.ID, c.ID, err)
	}
	sum, _, err := s.StartSummary(ctx, d.ID, "brief", "k", "m")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteDocument(ctx, d.ID), apperr.NotFound)
	_, err = s.GetSummary(ctx, sum.ID)
	wantCode(t, err, apperr.NotFound)
	if hits, err := s.SearchChunks(ctx, d.ID, "alpha", 5); err != nil || len(hits) != 0 {
		t.Errorf("chunks survived the document: %v %v", hits, err)
	}
	kept, err := s.GetConversation(ctx, c.ID)
	if err != nil || kept.DocumentID != nil {
		t.Errorf("conversation after delete = %+v, %v; want kept and detached", kept, err)
	}
}

func TestSummaryPiecesSurviveAndResume(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	d, _, err := s.AddDocument(ctx, newDoc("2", "b.pdf", "one ", "two ", "three"))
	if err != nil {
		t.Fatal(err)
	}
	sum, pieces, err := s.StartSummary(ctx, d.ID, "brief", "key1", "tiny")
	if err != nil || sum.Status != SummaryRunning || len(pieces) != 0 {
		t.Fatalf("start = %+v %v %v", sum, pieces, err)
	}
	if err := s.SetSummaryTotal(ctx, sum.ID, 4); err != nil {
		t.Fatal(err)
	}
	for _, p := range []SummaryPiece{
		{SummaryID: sum.ID, Level: 0, Ord: 0, First: 0, Last: 1, Status: PieceComplete, Text: "one two"},
		{SummaryID: sum.ID, Level: 0, Ord: 1, First: 2, Last: 2, Status: PieceFailed, Error: "the engine stopped"},
	} {
		if err := s.SavePiece(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, s.SavePiece(ctx, SummaryPiece{SummaryID: sum.ID, Status: "odd"}), apperr.Invalid)
	wantCode(t, s.SavePiece(ctx, SummaryPiece{SummaryID: 999, Status: PieceComplete}), apperr.NotFound)

	// A process that died mid-summary leaves it running; the next start marks it canceled.
	running, err := s.RunningSummaries(ctx)
	if err != nil || len(running) != 1 || running[0].ID != sum.ID {
		t.Fatalf("running = %+v, %v; want summary %d", running, err, sum.ID)
	}
	if err := s.AbandonSummary(ctx, sum.ID, running[0].UpdatedAt); err != nil {
		t.Fatal(err)
	}
	if running, err = s.RunningSummaries(ctx); err != nil || len(running) != 0 {
		t.Fatalf("running after abandoning = %+v, %v", running, err)
	}
	again, pieces, err := s.StartSummary(ctx, d.ID, "brief", "key1", "tiny")
	if err != nil || again.ID != sum.ID || again.Status != SummaryCanceled || again.PiecesDone != 1 || again.PiecesTotal != 4 || len(pieces) != 2 {
		t.Fatalf("restart = %+v %d pieces %v", again, len(pieces), err)
	}
	if err := s.ReopenSummary(ctx, sum.ID); err != nil {
		t.Fatal(err)
	}
	pieces, err = s.Pieces(ctx, sum.ID)
	if err != nil || len(pieces) != 1 || pieces[0].Text != "one two" {
		t.Errorf("after reopen, pieces = %+v (failed ones are retried), %v", pieces, err)
	}
	if err := s.DeletePieces(ctx, sum.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if pieces, _ := s.Pieces(ctx, sum.ID); len(pieces) != 0 {
		t.Errorf("pieces after DeletePieces = %+v", pieces)
	}
	cites := json.RawMessage(`[{"marker":"[p. 1]"}]`)
	if err := s.FinishSummary(ctx, sum.ID, SummaryComplete, "One two. [p. 1]", "Covers pages 1–3 of 3", cites, ""); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.FinishSummary(ctx, sum.ID, SummaryRunning, "", "", nil, ""), apperr.Invalid)
	got, err := s.GetSummary(ctx, sum.ID)
	if err != nil || got.Status != SummaryComplete || got.Coverage != "Covers pages 1–3 of 3" || string(got.Citations) != string(cites) {
		t.Errorf("finished = %+v, %v", got, err)
	}
	other, _, err := s.StartSummary(ctx, d.ID, "keypoints", "key1", "tiny")
	if err != nil || other.ID == sum.ID {
		t.Fatalf("another style = %+v, %v", other, err)
	}
	list, err := s.ListSummaries(ctx, d.ID)
	if err != nil || len(list) != 2 || list[0].ID != other.ID {
		t.Errorf("list = %+v, %v", list, err)
	}
	_, _, err = s.StartSummary(ctx, 12345, "brief", "k", "m")
	wantCode(t, err, apperr.NotFound)
}

func TestStoppedRerunKeepsTheEarlierText(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	d, _, err := s.AddDocument(ctx, newDoc("3", "c.pdf", "one ", "two"))
	if err != nil {
		t.Fatal(err)
	}
	sum, _, err := s.StartSummary(ctx, d.ID, "brief", "k", "m")
	if err != nil {
		t.Fatal(err)
	}
	cites := json.RawMessage(`[{"marker":"[p. 1]"}]`)
	if err := s.FinishSummary(ctx, sum.ID, SummaryPartial, "One. [p. 1]", "Covers page 1 of 2; page 2 failed: x", cites, ""); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		status, text, coverage string
		wantText               string
	}{
		{SummaryCanceled, "", "", "One. [p. 1]"},
		{SummaryFailed, "", "", "One. [p. 1]"},
		{SummaryFailed, "", "Covers no pages of 2; pages 1–2 failed: x", ""},
	}
	for _, c := range cases {
		if err := s.ReopenSummary(ctx, sum.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishSummary(ctx, sum.ID, c.status, c.text, c.coverage, nil, "stopped"); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetSummary(ctx, sum.ID)
		if err != nil || got.Status != c.status || got.Text != c.wantText || got.Error != "stopped" {
			t.Errorf("%s %q: summary = %+v, %v; want text %q", c.status, c.coverage, got, err, c.wantText)
		}
	}
}
