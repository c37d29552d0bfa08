package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

func TestTermEscape(t *testing.T) {
	cases := []struct {
		name, in, line, text string
	}{
		{"plain", "Trip to Lisbon", "Trip to Lisbon", "Trip to Lisbon"},
		{"accents and emoji", "Café ☕ naïve 日本", "Café ☕ naïve 日本", "Café ☕ naïve 日本"},
		{"clear screen", "a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"title rewrite (OSC)", "\x1b]0;owned\x07x", `\x1b]0;owned\x07x`, `\x1b]0;owned\x07x`},
		{"colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`, `\x1b[31mred\x1b[0m`},
		{"cursor up, carriage return", "ok\r\x1b[1Afake", `ok\r\x1b[1Afake`, `ok\r\x1b[1Afake`},
		{"newline and tab", "one\ntwo\tthree", `one\ntwo\tthree`, "one\ntwo\tthree"},
		{"form feed", "page 1\fpage 2", `page 1\x0cpage 2`, "page 1\fpage 2"},
		{"NUL, BEL, backspace, DEL", "a\x00b\x07c\x08d\x7f", `a\x00b\x07c\x08d\x7f`, `a\x00b\x07c\x08d\x7f`},
		{"C1 CSI (U+009B)", "a\u009b2Jb", `a\u009b2Jb`, `a\u009b2Jb`},
		{"C1 NEL (U+0085)", "a\u0085b", `a\u0085b`, `a\u0085b`},
		{"bidi override", "invoice\u202Efdp.exe", `invoice\u202efdp.exe`, `invoice\u202efdp.exe`},
		{"bidi isolate", "x\u2066y\u2069", `x\u2066y\u2069`, `x\u2066y\u2069`},
		{"invalid UTF-8", "a\xff\xc3b", `a\xff\xc3b`, `a\xff\xc3b`},
		{"raw C1 byte", "a\x9bb", `a\x9bb`, `a\x9bb`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := termLine(c.in); got != c.line {
				t.Errorf("termLine(%q) = %q, want %q", c.in, got, c.line)
			}
			if got := termText(c.in); got != c.text {
				t.Errorf("termText(%q) = %q, want %q", c.in, got, c.text)
			}
			for _, got := range []string{termLine(c.in), termText(c.in)} {
				if strings.ContainsAny(got, "\x1b\x07\x08\r\x00\x7f\u009b\u202e") {
					t.Errorf("%q still holds a control character", got)
				}
			}
		})
	}
}

// TestListingsEscapeTitles lists a conversation whose title is an escape
// sequence with the real CLI: the terminal gets the escape's text, not the
// escape.
func TestListingsEscapeTitles(t *testing.T) {
	home := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(home, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateConversation(context.Background(), "\x1b[2J\x1b[Hpwned\u202Etxt.exe", ""); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, err := chapelCmd(home, "conversations").CombinedOutput()
	if err != nil {
		t.Fatalf("chapel conversations: %v\n%s", err, out)
	}
	if strings.ContainsAny(string(out), "\x1b\u202e") {
		t.Errorf("the listing holds raw control characters: %q", out)
	}
	if !strings.Contains(string(out), `\x1b[2J\x1b[Hpwned\u202etxt.exe`) {
		t.Errorf("the listing does not show the escaped title: %q", out)
	}
	// JSON keeps the title exactly (encoding/json escapes it).
	js, err := chapelCmd(home, "conversations", "--json").Output()
	if err != nil || !strings.Contains(string(js), `\u001b[2J\u001b[Hpwned`) || strings.ContainsRune(string(js), 0x1b) {
		t.Errorf("--json: %v %q", err, js)
	}
}
