package engine

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextAssembler(t *testing.T) {
	euro := []byte("€") // 3 bytes
	cases := []struct {
		name   string
		chunks [][]byte
		want   string
	}{
		{"ascii", [][]byte{[]byte("hello"), []byte(" world")}, "hello world"},
		{"split character", [][]byte{euro[:1], euro[1:2], euro[2:]}, "€"},
		{"split emoji", [][]byte{[]byte("a\xf0\x9f"), []byte("\x98\x80b")}, "a😀b"},
		{"invalid byte", [][]byte{[]byte("a\xffb")}, "a\uFFFDb"},
		{"incomplete at end", [][]byte{[]byte("ok"), euro[:2]}, "ok\uFFFD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a textAssembler
			var b strings.Builder
			for _, ch := range c.chunks {
				s := a.push(ch)
				if !utf8.ValidString(s) {
					t.Fatalf("push gave invalid UTF-8 %q", s)
				}
				b.WriteString(s)
			}
			b.WriteString(a.flush())
			if got := b.String(); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
