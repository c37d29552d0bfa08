package pdf

import (
	"errors"
	"strconv"
)

// PDF objects. A PDF value is one of: nil (null), bool, int64, float64,
// pdfName, pdfString, pdfArray, pdfDict, pdfRef, *pdfStream, or, in
// content streams only, pdfKeyword (an operator).
type (
	pdfObj     = any
	pdfName    string
	pdfString  string
	pdfKeyword string
	pdfArray   []pdfObj
	pdfDict    map[pdfName]pdfObj
	pdfRef     struct{ num, gen int }
)

// pdfStream is a stream object: its dictionary and its raw (undecoded) bytes.
type pdfStream struct {
	dict pdfDict
	raw  []byte
}

var errSyntax = errors.New("pdf syntax error")

// lexer reads PDF tokens and objects from a byte slice.
type lexer struct {
	b        []byte
	pos      int
	maxDepth int
	noRefs   bool // content streams have no indirect references
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if isSpace(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
			continue
		}
		return
	}
}

// regular returns the run of regular characters at the current position.
func (l *lexer) regular() []byte {
	start := l.pos
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		l.pos++
	}
	return l.b[start:l.pos]
}

// keywordAt reports whether the next token is the keyword kw, without
// consuming it.
func (l *lexer) keywordAt(kw string) bool {
	save := l.pos
	l.skipSpace()
	w := l.regular()
	l.pos = save
	return string(w) == kw
}

// object reads one object. A bare keyword (an operator) comes back as
// pdfKeyword; a stray closing delimiter as errSyntax.
func (l *lexer) object(depth int) (pdfObj, error) {
	if depth > l.maxDepth {
		return nil, errTooDeep
	}
	l.skipSpace()
	if l.pos >= len(l.b) {
		return nil, errEOF
	}
	c := l.b[l.pos]
	switch c {
	case '/':
		l.pos++
		return l.name(), nil
	case '(':
		l.pos++
		return l.literal(), nil
	case '<':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '<' {
			l.pos += 2
			return l.dict(depth)
		}
		l.pos++
		return l.hex(), nil
	case '[':
		l.pos++
		arr := pdfArray{}
		for {
			l.skipSpace()
			if l.pos >= len(l.b) {
				return arr, errEOF
			}
			if l.b[l.pos] == ']' {
				l.pos++
				return arr, nil
			}
			o, err := l.object(depth + 1)
			if err == errSyntax {
				continue // a stray delimiter: dropped
			}
			if err != nil {
				return arr, err
			}
			arr = append(arr, o)
		}
	case ')', '>', ']', '{', '}':
		l.pos++                   // consumed, so a caller looping on errors always advances
		if c == '{' || c == '}' { // PostScript calculator braces: treat as keywords
			return pdfKeyword(c), nil
		}
		return nil, errSyntax
	}
	w := l.regular()
	if len(w) == 0 {
		l.pos++
		return nil, errSyntax
	}
	if c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9') {
		n, isInt := parseNumber(w)
		if isInt && !l.noRefs {
			if ref, ok := l.tryRef(n); ok {
				return ref, nil
			}
		}
		if isInt {
			return int64(n), nil
		}
		return n, nil
	}
	switch string(w) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	return pdfKeyword(w), nil
}

// tryRef reads "G R" after the integer n, restoring the position when the
// tokens are not there.
func (l *lexer) tryRef(n float64) (pdfRef, bool) {
	save := l.pos
	l.skipSpace()
	g := l.regular()
	if len(g) > 0 && len(g) < 8 && allDigits(g) {
		l.skipSpace()
		if l.pos < len(l.b) && l.b[l.pos] == 'R' && (l.pos+1 == len(l.b) || !isRegular(l.b[l.pos+1])) {
			l.pos++
			gen, _ := strconv.Atoi(string(g))
			if n >= 0 && n < 1<<31 {
				return pdfRef{num: int(n), gen: gen}, true
			}
		}
	}
	l.pos = save
	return pdfRef{}, false
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// parseNumber reads a PDF number leniently ("--5", "1.2.3", "4." all give
// something), reporting whether it is an integer.
func parseNumber(w []byte) (float64, bool) {
	neg := false
	i := 0
	for i < len(w) && (w[i] == '+' || w[i] == '-') {
		neg = neg != (w[i] == '-')
		i++
	}
	var v float64
	isInt := true
	var scale float64 = 1
	for ; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= '0' && c <= '9':
			if isInt {
				v = v*10 + float64(c-'0')
			} else {
				scale /= 10
				v += float64(c-'0') * scale
			}
		case c == '.' && isInt:
			isInt = false
		default:
			i = len(w)
		}
	}
	if neg {
		v = -v
	}
	return v, isInt && v > -1e15 && v < 1e15
}

func (l *lexer) name() pdfName {
	start := l.pos
	hasEscape := false
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		if l.b[l.pos] == '#' {
			hasEscape = true
		}
		l.pos++
	}
	raw := l.b[start:l.pos]
	if !hasEscape {
		return pdfName(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			out = append(out, unhex(raw[i+1])<<4|unhex(raw[i+2]))
			i += 2
			continue
		}
		out = append(out, raw[i])
	}
	return pdfName(out)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// literal reads a (string) after its opening parenthesis.
func (l *lexer) literal() pdfString {
	var out []byte
	depth := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return pdfString(out)
			}
		case '\r':
			if l.pos < len(l.b) && l.b[l.pos] == '\n' {
				l.pos++
			}
			c = '\n'
		case '\\':
			if l.pos >= len(l.b) {
				return pdfString(out)
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return pdfString(out)
}

// hex reads a <hex string> after its opening bracket.
func (l *lexer) hex() pdfString {
	var out []byte
	var hi byte
	half := false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		if !isHex(c) {
			continue
		}
		if half {
			out = append(out, hi<<4|unhex(c))
		} else {
			hi = unhex(c)
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return pdfString(out)
}

func (l *lexer) dict(depth int) (pdfObj, error) {
	d := pdfDict{}
	for {
		l.skipSpace()
		if l.pos >= len(l.b) {
			return d, errEOF
		}
		if l.b[l.pos] == '>' {
			l.pos++
			if l.pos < len(l.b) && l.b[l.pos] == '>' {
				l.pos++
			}
			return d, nil
		}
		k, err := l.object(depth + 1)
		if err != nil {
			if err == errSyntax {
				continue
			}
			return d, err
		}
		key, ok := k.(pdfName)
		if !ok {
			if kw, isKw := k.(pdfKeyword); isKw && (kw == "endobj" || kw == "stream") {
				return d, nil // an unterminated dictionary
			}
			continue // skip junk keys
		}
		l.skipSpace()
		if l.pos < len(l.b) && l.b[l.pos] == '>' {
			d[key] = nil
			continue
		}
		v, err := l.object(depth + 1)
		if err != nil && err != errSyntax {
			return d, err
		}
		if kw, isKw := v.(pdfKeyword); isKw && (kw == "endobj" || kw == "stream") {
			return d, nil
		}
		if v != nil {
			d[key] = v
		}
	}
}
