package chattmpl

import (
	"testing"
	"unicode/utf8"
)

// splitCases are replies as models write them and how they split.
var splitCases = []struct {
	name, reply       string
	thinking, answer  string
	streamedAnswerRaw string // the answer as streamed when it differs from answer (leading white space kept)
}{
	{"qwen3 thinks first", "<think>\nThe user greets me.\n</think>\n\nHello!", "The user greets me.\n", "Hello!", ""},
	{"a prompt that opened <think> (the engine passes the opening on)", "<think>\nLet me add: 4.</think>The sum is 4.", "Let me add: 4.", "The sum is 4.", ""},
	{"thinking turned off leaves an empty block", "<think>\n\n</think>\n\nSure.", "", "Sure.", ""},
	{"no thinking at all", "Once upon a time", "", "Once upon a time", ""},
	{"leading white space of a plain answer is kept", "  indented", "", "  indented", ""},
	{"a <think> later in the answer is text", "Use <think> tags like <think>x</think>.", "", "Use <think> tags like <think>x</think>.", ""},
	{"other markers", "<thinking>hmm</thinking>Yes.", "hmm", "Yes.", ""},
	{"gpt-oss channels", "<|channel|>analysis<|message|>User asks 2+2. Answer 4.<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4.",
		"User asks 2+2. Answer 4.", "2 + 2 = 4.", ""},
	{"gpt-oss final channel only", "<|channel|>final<|message|>Hi there.", "", "Hi there.", ""},
	{"a reply cut inside thinking", "<think>\nStill going", "Still going", "", ""},
	{"markup that is no marker", "<b>bold</b>", "", "<b>bold</b>", ""},
	{"unicode around the markers", "<think>é 😀 李</think>\n答え: ✓", "é 😀 李", "答え: ✓", ""},
	{"a closing marker look-alike inside thinking", "<think>a </thin and </thinker> b</think>ok", "a </thin and </thinker> b", "ok", ""},
}

// feed runs reply through a splitter in the given pieces.
func feed(pieces []string) (thinking, answer string) {
	s := NewSplitter()
	for _, p := range pieces {
		th, an := s.Push(p)
		thinking += th
		answer += an
	}
	th, an := s.Flush()
	return thinking + th, answer + an
}

// TestSplitterPieces feeds each reply whole, byte by byte and cut at every
// position in two: a marker split across pieces must never leak.
func TestSplitterPieces(t *testing.T) {
	for _, c := range splitCases {
		t.Run(c.name, func(t *testing.T) {
			var splits [][]string
			splits = append(splits, []string{c.reply})
			var bytes []string
			for i := 0; i < len(c.reply); i++ {
				bytes = append(bytes, c.reply[i:i+1])
			}
			splits = append(splits, bytes)
			for i := 1; i < len(c.reply); i++ {
				splits = append(splits, []string{c.reply[:i], c.reply[i:]})
			}
			for _, pieces := range splits {
				th, an := feed(pieces)
				if th != c.thinking || an != c.answer {
					t.Fatalf("pieces %q:\nthinking %q, want %q\nanswer %q, want %q", pieces, th, c.thinking, an, c.answer)
				}
			}
		})
	}
}

func TestSplitterStreamsThinking(t *testing.T) {
	s := NewSplitter()
	th, an := s.Push("<think>\nstep one, ")
	if th != "step one, " || an != "" || !s.InThinking() {
		t.Fatalf("first piece: thinking %q answer %q in %v", th, an, s.InThinking())
	}
	// "</thi" may start the closing marker: held back, not shown as thinking.
	th, an = s.Push("step two</thi")
	if th != "step two" || an != "" {
		t.Fatalf("second piece: thinking %q answer %q", th, an)
	}
	th, an = s.Push("nk>\n\nDone")
	if th != "" || an != "Done" || s.InThinking() || !s.Thought() {
		t.Fatalf("third piece: thinking %q answer %q in %v", th, an, s.InThinking())
	}
}

func TestSplit(t *testing.T) {
	cases := []struct{ reply, thinking, answer string }{
		{"<think>a</think>\n\nb", "a", "b"},
		{"plan it\n</think>\n\nThe answer.", "plan it", "The answer."},
		{"no markers ", "", "no markers"},
		{"x <think>y</think> z", "", "x <think>y</think> z"},
	}
	for _, c := range cases {
		th, an := Split(c.reply)
		if th != c.thinking || an != c.answer {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", c.reply, th, an, c.thinking, c.answer)
		}
		if !utf8.ValidString(th) || !utf8.ValidString(an) {
			t.Errorf("Split(%q) broke UTF-8", c.reply)
		}
	}
}
