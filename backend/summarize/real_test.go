package summarize

import (
	"context"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// The real engine on a tiny random-weight model: whatever it writes, the
// summary completes, covers every page and cites only existing chunks.
func TestRealEngine(t *testing.T) {
	e := engine.NewLocal()
	t.Cleanup(func() { e.Close() })
	ctx := context.Background()
	info, err := e.Load(ctx, testmodel.Tiny(t, gguf.ChatMLTemplate), engine.LoadOptions{ContextSize: 2048, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	doc := pagedDoc(12, 4, 3).add(t, st, "real")
	s := New(st, e, nil)
	s.SetOptions(Options{MaxAnswerTokens: 12})
	var last Progress
	v, err := s.Summarize(ctx, doc.ID, "keypoints", func(p Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusComplete || v.Coverage != "Covers pages 1–12 of 12" || v.Text == "" || len(v.Citations) == 0 {
		t.Fatalf("%+v", v)
	}
	checkCitations(t, v, doc, chunksOf(t, st, doc.ID))
	ps := pieces(t, st, v.ID)
	checkMapCovers(t, ps, len(chunksOf(t, st, doc.ID)))
	if ps[len(ps)-1].Level == 0 || last.TokensPerSecond <= 0 {
		t.Errorf("%d pieces, top level %d, last progress %+v: want combine steps and a speed", len(ps), ps[len(ps)-1].Level, last)
	}
	t.Logf("context %d, %d pieces, %.0f tokens/s\n%s", info.ContextSize, len(ps), last.TokensPerSecond, v.Text)
}
