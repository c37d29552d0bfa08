package app

import (
	"io"

	"github.com/chapelapp/chapel/backend/chattmpl"
)

// replySplitter sends a reasoning model's thinking to one writer (stderr,
// under a "thinking:" line) and the answer to another (stdout), so a script
// reading `chapel chat` gets the answer alone, as the app saves it.
type replySplitter struct {
	sp       *chattmpl.Splitter
	answer   func(string)
	thinking *lineFlusher
	started  bool // the "thinking:" line was written
	closed   bool // the thinking's last line was ended
}

func newReplySplitter(answer func(string), thinking io.Writer) *replySplitter {
	return &replySplitter{sp: chattmpl.NewSplitter(), answer: answer, thinking: newLineFlusher(thinking)}
}

func (r *replySplitter) write(piece string) { r.out(r.sp.Push(piece)) }

// end writes what the splitter held back and closes the thinking's line.
func (r *replySplitter) end() { r.out(r.sp.Flush()); r.closeThinking() }

func (r *replySplitter) closeThinking() {
	if r.started && !r.closed {
		r.closed = true
		r.thinking.end()
	}
}

func (r *replySplitter) out(th, an string) {
	if th != "" {
		if !r.started {
			r.started = true
			io.WriteString(r.thinking.w, "thinking:\n")
		}
		r.thinking.write(th)
	}
	if an != "" {
		r.closeThinking()
		r.answer(an)
	}
}
