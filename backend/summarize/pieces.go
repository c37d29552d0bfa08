package summarize

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/store"
)

// Piece statuses, as Piece.Status reports them.
const (
	PieceDone    = "done"
	PieceFailed  = "failed"
	PieceRunning = "running" // an engine is making it now
	PiecePending = "pending" // planned, not begun
)

// Piece is one map step of a summary as the window shows it while the rest
// run: the part of the document it reads (Label: "Pages 3–5", "Setup",
// "Passages 4–6", with "part 2 of 3" when one passage is cut), and, once
// done, what it says with its citations and the engine that wrote it.
type Piece struct {
	SummaryID  int64      `json:"summary_id"`
	Ord        int        `json:"ord"`
	FirstChunk int        `json:"first_chunk"`
	LastChunk  int        `json:"last_chunk"`
	Part       int        `json:"part"`
	Parts      int        `json:"parts"`
	Label      string     `json:"label"`
	Status     string     `json:"status"`
	Engine     string     `json:"engine"`
	Text       string     `json:"text"`
	Citations  []Citation `json:"citations"`
	Error      string     `json:"error"`
}

// PieceEvent is the event name each map piece of a summary is emitted on
// when an engine takes it (Status running) and when it is saved (done or
// failed).
func PieceEvent(summaryID int64) string { return fmt.Sprintf("summary:piece:%d", summaryID) }

// Outline is a summary's map pieces in document order: those saved, those
// being made and those still to come, with each engine's tally (live while
// the summary runs, from the saved pieces after; speeds only live).
type Outline struct {
	SummaryID   int64            `json:"summary_id"`
	DocumentID  int64            `json:"document_id"`
	Status      string           `json:"status"`
	Pieces      []Piece          `json:"pieces"`
	Engines     []EngineProgress `json:"engines"`
	Plan        string           `json:"plan"`
	TokenCounts string           `json:"token_counts"`
}

// planStep is one map step of a plan as summaries.map_plan keeps it.
type planStep struct {
	First int `json:"first"`
	Last  int `json:"last"`
	Part  int `json:"part"`
	Parts int `json:"parts"`
}

// Outline returns a summary's pieces. The plan comes from the database, so
// a summary stopped by a restart shows the pieces it saved and those it
// still has to make; a summary made before plans were kept shows its saved
// pieces only.
func (s *Service) Outline(ctx context.Context, summaryID int64) (Outline, error) {
	sum, err := s.st.GetSummary(ctx, summaryID)
	if err != nil {
		return Outline{}, err
	}
	ps, err := s.st.Pieces(ctx, summaryID)
	if err != nil {
		return Outline{}, err
	}
	chunks, err := s.st.Chunks(ctx, sum.DocumentID, 0, -1)
	if err != nil {
		return Outline{}, err
	}
	var plan []planStep
	_ = json.Unmarshal(sum.MapPlan, &plan) // written by this package; a bad value shows the saved pieces only
	saved := map[int]store.SummaryPiece{}
	for _, p := range ps {
		if p.Level == 0 {
			saved[p.Ord] = p
		}
	}
	if len(plan) == 0 {
		for _, p := range ps {
			if p.Level == 0 && len(plan) == p.Ord {
				plan = append(plan, planStep{First: p.First, Last: p.Last, Part: p.Part, Parts: max(p.Parts, 1)})
			}
		}
	}
	lv := s.liveOf(summaryID)
	lb := newLabels(chunks)
	o := Outline{SummaryID: sum.ID, DocumentID: sum.DocumentID, Status: sum.Status, Pieces: []Piece{},
		TokenCounts: sum.TokenCounts, Plan: planText(len(plan), sum.PiecesTotal, sum.TokenCounts)}
	if lv != nil {
		o.Status = StatusRunning
		if plan, counts := lv.planned(); plan != "" {
			o.Plan, o.TokenCounts = plan, counts
		}
	}
	for ord, st := range plan {
		if st.First < 0 || st.Last < st.First || st.Last >= len(chunks) {
			continue // a plan for other chunks: nothing to show
		}
		pc := Piece{SummaryID: sum.ID, Ord: ord, FirstChunk: st.First, LastChunk: st.Last, Part: st.Part, Parts: max(st.Parts, 1),
			Status: PiecePending, Citations: []Citation{}}
		pc.Label = lb.label(chunks, st.First, st.Last, st.Part, pc.Parts)
		if sp, ok := saved[ord]; ok && sp.First == st.First && sp.Last == st.Last && sp.Part == st.Part {
			fillPiece(&pc, sp, lb, chunks)
		} else if lv != nil {
			if name, ok := lv.making(ord); ok {
				pc.Status, pc.Engine = PieceRunning, name
			}
		}
		o.Pieces = append(o.Pieces, pc)
	}
	if lv != nil {
		o.Engines = lv.engines(time.Now())
	} else {
		o.Engines = tallyPieces(ps)
	}
	return o, nil
}

// fillPiece puts a saved piece's outcome into pc.
func fillPiece(pc *Piece, sp store.SummaryPiece, lb *labels, chunks []store.Chunk) {
	pc.Engine, pc.Error = sp.Engine, sp.Error
	if sp.Status != store.PieceComplete {
		pc.Status = PieceFailed
		return
	}
	pc.Status, pc.Text = PieceDone, sp.Text
	pc.Citations = citations(sp.Text, lb.index(chunks, []unit{{first: sp.First, last: sp.Last}}))
}

// tallyPieces counts the saved complete pieces (every level) by the engine
// that made them, for a summary that is not running.
func tallyPieces(ps []store.SummaryPiece) []EngineProgress {
	out := []EngineProgress{}
	at := map[string]int{}
	for _, p := range ps {
		if p.Status != store.PieceComplete || p.Engine == "" {
			continue
		}
		i, ok := at[p.Engine]
		if !ok {
			i = len(out)
			at[p.Engine] = i
			out = append(out, EngineProgress{Engine: p.Engine})
		}
		out[i].Done++
	}
	return out
}

// label names the part of the document chunks first..last are: its pages,
// its sections or its passages.
func (lb *labels) label(chunks []store.Chunk, first, last, part, parts int) string {
	var name string
	switch spans := lb.spans(chunks, first, last); {
	case lb.kind == byPages:
		a, b := 0, 0
		for _, c := range chunks[first : last+1] {
			if c.PageStart > 0 && (a == 0 || c.PageStart < a) {
				a = c.PageStart
			}
			b = max(b, c.PageEnd, c.PageStart)
		}
		name = numberRange("Page", "Pages", a, b)
		if a == 0 {
			name = numberRange("Passage", "Passages", first+1, last+1)
		}
	case lb.kind == bySections:
		var titles []string
		for _, sp := range spans {
			if t := lb.section[sp.first]; t != "" {
				titles = append(titles, t)
			} else {
				titles = append(titles, numberRange("Passage", "Passages", sp.first+1, sp.last+1))
			}
		}
		switch len(titles) {
		case 1, 2:
			name = strings.Join(titles, ", ")
		default:
			name = fmt.Sprintf("%s … %s (%d sections)", titles[0], titles[len(titles)-1], len(titles))
		}
	default:
		name = numberRange("Passage", "Passages", first+1, last+1)
	}
	if parts > 1 {
		name += fmt.Sprintf(", part %d of %d", part+1, parts)
	}
	return name
}

func numberRange(one, many string, a, b int) string {
	if b <= a {
		return fmt.Sprintf("%s %d", one, a)
	}
	return fmt.Sprintf("%s %d–%d", many, a, b)
}

// planText says what a plan is: its map steps, the combining steps after
// them and how the tokens it was cut by were counted.
func planText(mapSteps, total int, counts string) string {
	if mapSteps == 0 {
		return ""
	}
	var parts []string
	switch {
	case total <= mapSteps && mapSteps == 1:
		parts = append(parts, "The whole document in one step")
	case total <= mapSteps:
		parts = append(parts, fmt.Sprintf("%s of the document, then combining them", plural(mapSteps, "part", "parts")))
	default:
		// Steps are every piece of work, as the progress line counts them;
		// the parts are the first of them.
		parts = append(parts, fmt.Sprintf("%s: %s of the document, then %d combining them", plural(total, "step", "steps"),
			plural(mapSteps, "part", "parts"), total-mapSteps))
	}
	switch counts {
	case CountsTokenizer:
		parts = append(parts, "token counts from the model's tokenizer")
	case CountsServer:
		parts = append(parts, "token counts from the server's tokenizer")
	case CountsEstimate:
		parts = append(parts, "token counts are estimates (the server has no tokenizer to ask), kept on the high side so every step fits")
	}
	return strings.Join(parts, " · ")
}

// planOf is a plan's map steps as summaries.map_plan keeps them.
func planOf(units []unit) json.RawMessage {
	steps := make([]planStep, len(units))
	for i, u := range units {
		steps[i] = planStep{First: u.first, Last: u.last, Part: u.part, Parts: max(u.parts, 1)}
	}
	b, _ := json.Marshal(steps)
	return b
}
