package store

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
)

// A summary keeps its map plan and how its tokens were counted; each piece
// keeps the engine that made it (migration 0006).
func TestSummaryPlanAndEngines(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	d, _, err := s.AddDocument(ctx, newDoc("6", "plan.pdf", "one ", "two ", "three"))
	if err != nil {
		t.Fatal(err)
	}
	sum, _, err := s.StartSummary(ctx, d.ID, "brief", "key", "tiny")
	if err != nil {
		t.Fatal(err)
	}
	if string(sum.MapPlan) != "[]" || sum.TokenCounts != "" {
		t.Errorf("a new summary: plan %s, counts %q", sum.MapPlan, sum.TokenCounts)
	}
	plan := json.RawMessage(`[{"first":0,"last":1,"part":0,"parts":1},{"first":2,"last":2,"part":0,"parts":1}]`)
	if err := s.SetSummaryPlan(ctx, sum.ID, plan, "estimate"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SetSummaryPlan(ctx, sum.ID, json.RawMessage(`{not json`), "estimate"), apperr.Internal)
	wantCode(t, s.SetSummaryPlan(ctx, 999, plan, "estimate"), apperr.NotFound)
	engines := []string{"local", "Second (http://127.0.0.1:8095/v1)"}
	for i, e := range engines {
		if err := s.SavePiece(ctx, SummaryPiece{SummaryID: sum.ID, Ord: i, First: i, Last: i, Status: PieceComplete, Text: "t", Engine: e}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetSummary(ctx, sum.ID)
	if err != nil || string(got.MapPlan) != string(plan) || got.TokenCounts != "estimate" {
		t.Fatalf("summary %+v %v", got, err)
	}
	ps, err := s.Pieces(ctx, sum.ID)
	if err != nil || len(ps) != 2 {
		t.Fatalf("pieces %+v %v", ps, err)
	}
	for i, p := range ps {
		if p.Engine != engines[i] {
			t.Errorf("piece %d made by %q, want %q", i, p.Engine, engines[i])
		}
	}
}
