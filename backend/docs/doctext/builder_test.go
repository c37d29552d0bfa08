package doctext

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

// TestCleanParaIsPara: a paragraph written piece by piece and cleaned in
// place (WriteBytes, CleanPara, EndPara) is what Para makes of it whole,
// after other paragraphs or none, for text that needs every kind of
// cleaning, white space alone, and bad UTF-8 (which CleanText lengthens).
func TestCleanParaIsPara(t *testing.T) {
	paras := []string{
		"plain ascii",
		"  leading and trailing  \n",
		"ligatures \ufb00 \ufb01 \ufb02 \ufb03 \ufb04 \ufb05 \ufb06",
		"\u00a0\u00a0nbsp\u00a0around\u00a0\u00a0",
		"soft\u00adhyphen and bom\ufeff and C1 \u0085\u009f",
		"ascii controls \x01\x7f kept\tand\nlines",
		"\x7f only ascii with del",
		"\u00ad\n\u00ad",
		" \t\u3000\u00a0 ",
		"",
		"bad \xff\xfe bytes \xc3",
		"\xff",
		"日本語 and 🙂",
	}
	for _, before := range []string{"", "an earlier paragraph"} {
		for _, p := range paras {
			var want, got Builder
			want.Para(before)
			got.Para(before)
			want.Para(p)
			got.StartPara()
			for i := 0; i < len(p); i += 3 { // in pieces, cutting characters
				got.WriteBytes([]byte(p[i:min(i+3, len(p))]))
			}
			got.CleanPara()
			got.EndPara()
			w, g := want.Finish(), got.Finish()
			if !reflect.DeepEqual(w, g) {
				t.Errorf("after %q, %q:\n got %q %v\nwant %q %v", before, p, g.Text, g.Paragraphs, w.Text, w.Paragraphs)
			}
		}
	}
}

// TestFinishText: the Document's text is the Builder's, whether the buffer
// is handed over (nearly full) or copied (roomy), and the Builder lets go
// of it.
func TestFinishText(t *testing.T) {
	for _, grow := range []int{0, 5, 1 << 20} {
		var b Builder
		b.Grow(grow)
		b.Para("hello")
		b.Para("world")
		d := b.Finish()
		if d.Text != "hello\n\nworld" || b.Bytes() != nil {
			t.Errorf("grow %d: text %q, builder still holds %q", grow, d.Text, b.Bytes())
		}
	}
}

func TestCleanText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain ascii\tand\nlines", "plain ascii\tand\nlines"},
		{"del\x7f in ascii", "del in ascii"}, // the ASCII fast path once kept it
		{"\x7f", ""},
		{"bell\x07 and nul\x00", "bell and nul"},
		{"\ufb01ne \ufb00", "fine ff"},
		{"a\u00a0b", "a b"},
		{"soft\u00adhyphen\ufeff", "softhyphen"},
		{"C1 \u0085\u009f.", "C1 ."},
		{"bad \xff byte", "bad \ufffd byte"},
		{"日本語 🙂", "日本語 🙂"},
	}
	for _, c := range cases {
		if got := CleanText(c.in); got != c.want {
			t.Errorf("CleanText(%q) = %q, want %q", c.in, got, c.want)
		}
		if !utf8.ValidString(c.in) {
			continue // cleanInPlace takes valid UTF-8 only
		}
		if got := string(cleanInPlace([]byte(c.in))); got != c.want {
			t.Errorf("cleanInPlace(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
