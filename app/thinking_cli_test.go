package app

import (
	"bytes"
	"strings"
	"testing"
)

func TestReplySplitter(t *testing.T) {
	cases := []struct {
		name         string
		pieces       []string
		out, thought string
	}{
		{"thinking to stderr, the answer to stdout", []string{"<thi", "nk>\nLet me", " add.</thi", "nk>\n\n4"}, "4", "thinking:\nLet me add.\n"},
		{"no thinking", []string{"Once", " upon"}, "Once upon", ""},
		{"an escape sequence in thinking is not passed on", []string{"<think>a\x1b[2Jb</think>ok"}, "ok", "thinking:\n" + termText("a\x1b[2Jb") + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			var errb bytes.Buffer
			r := newReplySplitter(func(s string) { out.WriteString(s) }, &errb)
			for _, p := range c.pieces {
				r.write(p)
			}
			r.end()
			if out.String() != c.out || errb.String() != c.thought || strings.Contains(errb.String(), "\x1b") {
				t.Errorf("stdout %q stderr %q; want %q, %q", out.String(), errb.String(), c.out, c.thought)
			}
		})
	}
}
