package app

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// `chapel chat --instructions` gives the conversation its own system
// prompt: kept with it (a new one's, or --conversation's), sent with the
// message (the prompt grows by it), removed with "", refused when too long
// without leaving a conversation behind.
func TestChatInstructions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real model")
	}
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	home := t.TempDir()
	chat := func(args ...string) (prompt int, stderr string, code int) {
		t.Helper()
		cmd := chapelCmd(home, append([]string{"chat", "--model", model, "--max-tokens", "1"}, args...)...)
		cmd.Env = append(cmd.Env, "CHAPEL_STATS=1")
		code, _, stderr = run(t, cmd)
		if m := regexp.MustCompile(`tokens: (\d+) prompt`).FindStringSubmatch(stderr); m != nil {
			prompt, _ = strconv.Atoi(m[1])
		}
		return prompt, stderr, code
	}
	instructionsOf := func() map[int64]string {
		t.Helper()
		var cs []struct {
			ID           int64  `json:"id"`
			Instructions string `json:"instructions"`
		}
		runJSON(t, chapelCmd(home, "conversations", "--json"), &cs)
		out := map[int64]string{}
		for _, c := range cs {
			out[c.ID] = c.Instructions
		}
		return out
	}

	plain, errOut, code := chat("the cat")
	if code != 0 || plain == 0 {
		t.Fatalf("plain chat: exit %d, prompt %d, stderr %q", code, plain, errOut)
	}
	long := "Answer every question as a careful old sailor would, with a story about the sea first."
	with, errOut, code := chat("--instructions", long, "the cat")
	if code != 0 || with <= plain {
		t.Fatalf("with instructions: exit %d, prompt %d tokens (%d without), stderr %q; want a longer prompt", code, with, plain, errOut)
	}
	var id int64
	for cid, in := range instructionsOf() {
		if in == long {
			id = cid
		}
	}
	if id == 0 {
		t.Fatalf("no conversation keeps the instructions: %v", instructionsOf())
	}
	// The conversation keeps them: continued without the flag, they are still sent.
	again, _, code := chat("--conversation", strconv.FormatInt(id, 10), "the dog")
	if code != 0 || again <= with {
		t.Errorf("continued: exit %d, prompt %d tokens; want more than %d", code, again, with)
	}
	if _, _, code := chat("--conversation", strconv.FormatInt(id, 10), "--instructions", "", "the bird"); code != 0 || instructionsOf()[id] != "" {
		t.Errorf("--instructions \"\": exit %d, instructions %q; want removed", code, instructionsOf()[id])
	}
	before := len(instructionsOf())
	_, errOut, code = chat("--instructions", strings.Repeat("x", 40<<10), "the fish")
	if code == 0 || !strings.Contains(errOut, "the instructions are too long") || len(instructionsOf()) != before {
		t.Errorf("too long: exit %d, stderr %q, %d conversations (was %d); want refused, none added", code, errOut, len(instructionsOf()), before)
	}
}
