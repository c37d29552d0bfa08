package pdf

import "strings"

// Widths of the standard 14 fonts for printable ASCII (32 to 126), in
// thousandths of an em, for PDFs that name such a font without /Widths.
const (
	helveticaASCII = "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584"
	timesASCII     = "250 333 408 500 500 833 778 180 333 333 500 564 250 333 250 278 500 500 500 500 500 500 500 500 500 500 278 278 564 564 564 444 921 722 667 667 722 611 556 722 722 333 389 722 611 889 722 722 556 722 667 556 611 722 722 944 722 722 611 333 278 333 469 500 333 444 500 444 500 444 333 500 500 278 278 500 278 778 500 500 500 500 333 389 278 500 500 722 500 500 444 480 200 480 541"
)

var stdWidthTables = map[string]map[string]float64{
	"Courier":   buildStdWidths("", 0.6),
	"Helvetica": buildStdWidths(helveticaASCII, 0.556),
	"Times":     buildStdWidths(timesASCII, 0.5),
}

// standardWidths returns widths by text for a standard font name, or nil.
func standardWidths(base string) map[string]float64 {
	switch {
	case strings.HasPrefix(base, "Courier"):
		return stdWidthTables["Courier"]
	case strings.HasPrefix(base, "Helvetica"), strings.HasPrefix(base, "Arial"):
		return stdWidthTables["Helvetica"]
	case strings.HasPrefix(base, "Times"):
		return stdWidthTables["Times"]
	}
	return nil
}

func buildStdWidths(table string, avg float64) map[string]float64 {
	t := map[string]float64{}
	f := strings.Fields(table)
	for c := 32; c < 127; c++ {
		w := avg
		if i := c - 32; i < len(f) {
			w = float64(atoiSafe(f[i])) / 1000
		}
		t[string(rune(c))] = w
	}
	t["’"], t["‘"] = t["'"], t["'"]
	for c := 0xA0; c < 0x180; c++ {
		if _, ok := t[string(rune(c))]; !ok {
			t[string(rune(c))] = avg
		}
	}
	return t
}

func atoiSafe(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
