package summarize

import (
	"strings"

	"github.com/chapelapp/chapel/backend/chattmpl"
	"github.com/chapelapp/chapel/backend/engine"
)

// Reasoning models. A summary never contains thinking: where the model's
// template lets thinking be turned off (enable_thinking, /no_think), every
// step asks for that; otherwise each step gets room to think besides its
// answer (taken from its material), and the thinking is cut from the reply
// before citations are read from it.

// minThink is the least room for thinking worth planning for.
const minThink = 64

// chooseWithThinking plans like choose, with room for thinking on each step
// when the model thinks and cannot be told not to: twice the answer cap,
// halved until the context can take it.
func chooseWithThinking(info engine.ModelInfo, mapOverhead, reduceOverhead, maxAns int) (params, error) {
	think := 0
	if info.Reasoning && info.ThinkSwitch == "" {
		think = 2 * maxAns
	}
	for {
		p, err := choose(info.ContextSize, mapOverhead+think, reduceOverhead+think, maxAns)
		if err == nil || think == 0 {
			p.think = think
			return p, err
		}
		if think /= 2; think < minThink {
			think = 0
		}
	}
}

// stepRequest is the engine request of a step: thinking off where the
// template allows, else the answer's tokens plus the room to think.
func (r *runner) stepRequest(st *step) engine.Request {
	req := engine.Request{Messages: st.messages, Sampling: sampling, MaxTokens: st.answer + r.p.think, ContextNeeded: r.p.sequence}
	if r.j.info.Reasoning && r.j.info.ThinkSwitch != "" {
		off := false
		req.Thinking = &off
	}
	return req
}

// answerOf is a reply without its thinking. A reply with no thinking comes
// back unchanged.
func answerOf(reply string) string {
	thinking, answer := chattmpl.Split(reply)
	if thinking == "" && answer == strings.TrimSpace(reply) {
		return reply
	}
	return answer
}
