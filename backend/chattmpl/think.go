package chattmpl

import (
	"strings"
	"unicode"
)

// Switch is how a template lets thinking be turned off.
type Switch string

const (
	SwitchNone    Switch = ""          // it cannot be turned off (or the model does not think)
	SwitchFlag    Switch = "flag"      // the template reads enable_thinking
	SwitchNoThink Switch = "/no_think" // a "/no_think" in the user's turn (Qwen3's convention)
)

// ThinkSwitch reports how thinking can be turned off with this template.
func (t *Template) ThinkSwitch() Switch {
	switch {
	case strings.Contains(t.src, "enable_thinking"):
		return SwitchFlag
	case strings.Contains(t.src, "/no_think"):
		return SwitchNoThink
	}
	return SwitchNone
}

// Reasoning reports whether the template is a reasoning model's: it knows
// thinking blocks, a reasoning field or gpt-oss's analysis channel.
func (t *Template) Reasoning() bool { return IsReasoning(t.src) }

// IsReasoning reports whether a template source is a reasoning model's.
func IsReasoning(src string) bool {
	for _, s := range []string{"enable_thinking", "reasoning_content", "<|channel|>"} {
		if strings.Contains(src, s) {
			return true
		}
	}
	for _, p := range thinkPairs {
		// The markers in <…> form; gpt-oss's "<|end|>" also ends Phi's turns.
		if strings.HasPrefix(p.open, "<|channel|>") {
			continue
		}
		if strings.Contains(src, p.open) || strings.Contains(src, p.close) {
			return true
		}
	}
	return false
}

// thinkPairs are the ways models mark thinking: an opening and a closing
// marker. prefill: templates write this opening into the generation prompt,
// so the reply starts inside it.
var thinkPairs = []struct {
	open, close string
	prefill     bool
}{
	{"<think>", "</think>", true},
	{"<thinking>", "</thinking>", true},
	{"<seed:think>", "</seed:think>", true},
	{"<reasoning>", "</reasoning>", false},
	{"<|START_THINKING|>", "<|END_THINKING|>", false},
	{"<|channel|>analysis<|message|>", "<|end|>", false}, // gpt-oss (harmony)
}

// answerMarkers open the answer and are not part of it: gpt-oss starts its
// final channel with them after the analysis channel, or straight away.
var answerMarkers = []string{"<|start|>assistant", "<|channel|>final<|message|>"}

const (
	stStart       = iota // nothing but white space yet: a thinking block may open
	stThinking           // inside a thinking block
	stAnswerStart        // thinking ended; white space and markers before the answer are dropped
	stAnswer             // the answer: passed through
)

// Splitter separates a streamed reply into thinking and answer as pieces
// arrive. A marker split across pieces is held back until it is whole. A
// thinking block counts only at the start of the reply (after white space):
// a "<think>" later in an answer is the answer's text.
type Splitter struct {
	state   int
	close   string
	buf     string
	started bool // thinking text has been emitted (its leading white space is dropped)
	thought bool // a thinking block was seen
}

// NewSplitter starts a splitter at the beginning of a reply.
func NewSplitter() *Splitter { return &Splitter{} }

// InThinking reports whether the reply is inside a thinking block now.
func (s *Splitter) InThinking() bool { return s.state == stThinking }

// Thought reports whether the reply had a thinking block.
func (s *Splitter) Thought() bool { return s.thought }

// Push takes the next piece and returns the thinking and answer text that
// can be told apart so far.
func (s *Splitter) Push(piece string) (thinking, answer string) {
	s.buf += piece
	var th, an strings.Builder
	for {
		switch s.state {
		case stStart, stAnswerStart:
			t := strings.TrimLeftFunc(s.buf, unicode.IsSpace)
			if t == "" {
				return th.String(), an.String()
			}
			if s.state == stStart {
				if open, close, ok := matchOpen(t); ok {
					s.state, s.close, s.buf, s.thought = stThinking, close, t[len(open):], true
					continue
				}
			}
			if m, ok := matchAny(t, answerMarkers); ok {
				s.buf = t[len(m):]
				continue
			}
			if s.partial(t) {
				return th.String(), an.String()
			}
			if s.state == stAnswerStart {
				s.buf = t
			}
			s.state = stAnswer
		case stThinking:
			if i := strings.Index(s.buf, s.close); i >= 0 {
				th.WriteString(s.thinkText(s.buf[:i]))
				s.buf, s.state = s.buf[i+len(s.close):], stAnswerStart
				continue
			}
			keep := heldBack(s.buf, s.close)
			th.WriteString(s.thinkText(s.buf[:len(s.buf)-keep]))
			s.buf = s.buf[len(s.buf)-keep:]
			return th.String(), an.String()
		case stAnswer:
			an.WriteString(s.buf)
			s.buf = ""
			return th.String(), an.String()
		}
	}
}

// Flush ends the reply: what was held back goes out. A thinking block that
// never closed (the reply was cut) stays thinking.
func (s *Splitter) Flush() (thinking, answer string) {
	rest := s.buf
	s.buf = ""
	switch s.state {
	case stThinking:
		return s.thinkText(rest), ""
	case stAnswerStart:
		return "", strings.TrimLeftFunc(rest, unicode.IsSpace)
	}
	return "", rest
}

// thinkText drops the white space that opens a thinking block.
func (s *Splitter) thinkText(t string) string {
	if !s.started {
		t = strings.TrimLeftFunc(t, unicode.IsSpace)
		s.started = t != ""
	}
	return t
}

// partial reports whether t could still become a marker the current state
// looks for.
func (s *Splitter) partial(t string) bool {
	for _, m := range answerMarkers {
		if len(t) < len(m) && strings.HasPrefix(m, t) {
			return true
		}
	}
	if s.state != stStart {
		return false
	}
	for _, p := range thinkPairs {
		if len(t) < len(p.open) && strings.HasPrefix(p.open, t) {
			return true
		}
	}
	return false
}

func matchOpen(t string) (open, close string, ok bool) {
	for _, p := range thinkPairs {
		if strings.HasPrefix(t, p.open) {
			return p.open, p.close, true
		}
	}
	return "", "", false
}

func matchAny(t string, list []string) (string, bool) {
	for _, m := range list {
		if strings.HasPrefix(t, m) {
			return m, true
		}
	}
	return "", false
}

// heldBack is the length of the longest end of s that is the start of
// marker: those bytes may be a marker split across pieces.
func heldBack(s, marker string) int {
	for n := min(len(s), len(marker)-1); n > 0; n-- {
		if strings.HasSuffix(s, marker[:n]) {
			return n
		}
	}
	return 0
}

// Split separates a whole reply into thinking and answer, both trimmed.
// A reply whose thinking was opened by the prompt (so it carries only the
// closing "</think>") is split at that closing marker.
func Split(text string) (thinking, answer string) {
	s := NewSplitter()
	th, an := s.Push(text)
	th2, an2 := s.Flush()
	thinking, answer = th+th2, an+an2
	if !s.Thought() {
		thinking, answer = SplitUnopened(answer)
	}
	return strings.TrimSpace(thinking), strings.TrimSpace(answer)
}

// SplitUnopened handles a reply with no opening marker but a closing one
// ("…</think>answer"): a template opened the block in the prompt. Other
// text comes back unchanged as the answer.
func SplitUnopened(answer string) (thinking, rest string) {
	for _, p := range thinkPairs {
		if !p.prefill {
			continue
		}
		if i := strings.Index(answer, p.close); i >= 0 && !strings.Contains(answer[:i], p.open) {
			return strings.TrimSpace(answer[:i]), strings.TrimLeftFunc(answer[i+len(p.close):], unicode.IsSpace)
		}
	}
	return "", answer
}
