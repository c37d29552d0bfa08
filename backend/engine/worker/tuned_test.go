package worker

import (
	"context"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
)

// The counts the worker's tuner settled on (each result carries them) are
// the loaded model's details the app saves, and the start of a reload
// after the worker died; a result without them changes nothing.
func TestClientKeepsTunedThreads(t *testing.T) {
	tests := []struct {
		name  string
		notes []engine.ThreadCounts
		want  engine.ThreadCounts
	}{
		{"none yet", nil, engine.ThreadCounts{Step: 2}},
		{"one result", []engine.ThreadCounts{{Step: 1, Prompt: 2}}, engine.ThreadCounts{Step: 1, Prompt: 2}},
		{"the last one counts", []engine.ThreadCounts{{Step: 1}, {Step: 2, Steps: 2}}, engine.ThreadCounts{Step: 2, Steps: 2}},
		{"a result that was not tuned leaves them", []engine.ThreadCounts{{Step: 1}, {}}, engine.ThreadCounts{Step: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(nil, nil)
			start := engine.ThreadCounts{Step: 2}
			c.model = &loaded{path: "m.gguf", opts: engine.LoadOptions{Threads: 2, StartThreads: start}, info: engine.ModelInfo{Path: "m.gguf", TunedThreads: start}}
			for _, n := range tc.notes {
				c.noteTuned(n)
			}
			info, _ := c.Model(context.Background())
			if info.TunedThreads != tc.want || c.model.opts.StartThreads != tc.want {
				t.Fatalf("model reports %+v, reload starts at %+v; want %+v", info.TunedThreads, c.model.opts.StartThreads, tc.want)
			}
		})
	}
}
