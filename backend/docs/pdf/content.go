package pdf

import (
	"bytes"
	"math"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// matrix is a PDF transformation matrix [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n (apply m, then n).
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// maxOpsPerPage bounds the operators one page may run (forms included),
// maxOpsPerDoc those of the whole document: real documents stay far below
// (the 113 pages of the R manual run 40 thousand).
const (
	maxOpsPerPage = 5_000_000
	maxOpsPerDoc  = 200_000_000
)

// glyph is one shown character in device space.
type glyph struct {
	text   string
	x, y   float64 // origin
	ex, ey float64 // origin plus the glyph's own advance
	size   float64 // font size in device space
	space  bool    // a space character: a word break, not a glyph
	spw    float64 // the font's space width, in ems
}

type gstate struct {
	ctm                                    matrix
	font                                   *pdfFont
	fontSize, charSp, wordSp, hscale, lead float64
	rise                                   float64
}

// interp runs content streams and collects glyphs.
type interp struct {
	d        *pdfDoc
	fonts    map[pdfObj]*pdfFont
	glyphs   []glyph
	gs       gstate
	stack    []gstate
	tm       matrix
	tlm      matrix
	ops      int // operators run on this page
	totalOps int // and in the whole document
	err      error
	active   map[*pdfStream]bool // forms being run (self-reference)
	forms    map[*pdfStream][]byte
}

func newInterp(d *pdfDoc, fonts map[pdfObj]*pdfFont) *interp {
	return &interp{d: d, fonts: fonts, active: map[*pdfStream]bool{}, forms: map[*pdfStream][]byte{}}
}

// page runs a page's content and returns its glyphs.
func (in *interp) page(p pdfPage) ([]glyph, error) {
	in.glyphs = in.glyphs[:0]
	in.gs = gstate{ctm: identity, hscale: 1}
	in.stack = in.stack[:0]
	in.ops = 0
	// Each content stream is decoded and run in turn, so a page's streams
	// are never held all at once (streams divide only between tokens).
	err := in.d.eachContent(p.dict["Contents"], func(data []byte) {
		if in.err == nil {
			in.run(data, p.resources, 0)
		}
	})
	if err != nil {
		return nil, err
	}
	return in.glyphs, in.err
}

func (in *interp) run(data []byte, res pdfDict, depth int) {
	l := &lexer{b: data, noRefs: true, maxDepth: 32}
	var args []pdfObj
	baseStack := len(in.stack)
	for in.err == nil {
		o, err := l.object(0)
		if err == errEOF {
			break
		}
		if err != nil {
			if err == errTooDeep {
				break
			}
			args = args[:0]
			continue
		}
		op, ok := o.(pdfKeyword)
		if !ok {
			if len(args) < 64 {
				args = append(args, o)
			}
			continue
		}
		in.ops++
		in.totalOps++
		if in.ops > maxOpsPerPage {
			return
		}
		if in.totalOps > maxOpsPerDoc {
			in.err = &doctext.Error{Kind: doctext.TooLarge, Msg: "this PDF is too complex to read; Chapel stops there"}
			return
		}
		if in.ops&1023 == 0 {
			if err := in.d.ctx.Err(); err != nil {
				in.err = err
				return
			}
		}
		if op == "BI" {
			skipInlineImage(l)
		} else {
			in.op(op, args, res, depth)
		}
		args = args[:0]
	}
	for len(in.stack) > baseStack { // unbalanced q
		in.gs = in.stack[len(in.stack)-1]
		in.stack = in.stack[:len(in.stack)-1]
	}
}

// skipInlineImage moves past "… ID <data> EI".
func skipInlineImage(l *lexer) {
	i := bytes.Index(l.b[l.pos:], []byte("ID"))
	if i < 0 {
		l.pos = len(l.b)
		return
	}
	l.pos += i + 3
	for l.pos < len(l.b) {
		k := bytes.Index(l.b[l.pos:], []byte("EI"))
		if k < 0 {
			l.pos = len(l.b)
			return
		}
		at := l.pos + k
		l.pos = at + 2
		if at > 0 && isSpace(l.b[at-1]) && (at+2 == len(l.b) || isSpace(l.b[at+2])) {
			return
		}
	}
}

func nums(args []pdfObj, n int) ([]float64, bool) {
	if len(args) < n {
		return nil, false
	}
	out := make([]float64, n)
	for i, a := range args[len(args)-n:] {
		switch v := a.(type) {
		case int64:
			out[i] = float64(v)
		case float64:
			out[i] = v
		default:
			return nil, false
		}
	}
	return out, true
}

// op runs one content-stream operator on its operands; Do draws a form
// XObject (its own content stream, nested at most depth deep).
func (in *interp) op(op pdfKeyword, args []pdfObj, res pdfDict, depth int) {
	switch op {
	case "q", "Q", "cm":
		in.stateOp(op, args)
	case "Tc", "Tw", "Tz", "TL", "Ts", "Tf":
		in.textStateOp(op, args, res)
	case "BT", "Td", "TD", "Tm", "T*":
		in.positionOp(op, args)
	case "Tj", "'", "\"", "TJ":
		in.showOp(op, args)
	case "Do":
		if len(args) > 0 && depth < min(in.d.lim.MaxDepth, 24) {
			if name, ok := args[len(args)-1].(pdfName); ok {
				in.form(in.d.dict(res["XObject"])[name], res, depth)
			}
		}
	}
}

// stateOp runs a graphics-state operator: save, restore, transform.
func (in *interp) stateOp(op pdfKeyword, args []pdfObj) {
	gs := &in.gs
	switch op {
	case "q":
		if len(in.stack) < 512 {
			in.stack = append(in.stack, in.gs)
		}
	case "Q":
		if len(in.stack) > 0 {
			in.gs = in.stack[len(in.stack)-1]
			in.stack = in.stack[:len(in.stack)-1]
		}
	case "cm":
		if v, ok := nums(args, 6); ok {
			gs.ctm = matrix{v[0], v[1], v[2], v[3], v[4], v[5]}.mul(gs.ctm)
		}
	}
}

// textStateOp runs a text-state operator: spacing, scaling, leading, rise, font.
func (in *interp) textStateOp(op pdfKeyword, args []pdfObj, res pdfDict) {
	gs := &in.gs
	switch op {
	case "Tc":
		if v, ok := nums(args, 1); ok {
			gs.charSp = v[0]
		}
	case "Tw":
		if v, ok := nums(args, 1); ok {
			gs.wordSp = v[0]
		}
	case "Tz":
		if v, ok := nums(args, 1); ok {
			gs.hscale = v[0] / 100
		}
	case "TL":
		if v, ok := nums(args, 1); ok {
			gs.lead = v[0]
		}
	case "Ts":
		if v, ok := nums(args, 1); ok {
			gs.rise = v[0]
		}
	case "Tf":
		if len(args) >= 2 {
			if name, ok := args[len(args)-2].(pdfName); ok {
				fonts := in.d.dict(res["Font"])
				in.gs.font = in.d.loadFont(fonts[name], in.fonts)
			}
			if v, ok := nums(args, 1); ok {
				gs.fontSize = v[0]
			}
		}
	}
}

// positionOp runs a text-positioning operator: begin text, move, set the matrix, next line.
func (in *interp) positionOp(op pdfKeyword, args []pdfObj) {
	gs := &in.gs
	switch op {
	case "BT":
		in.tm, in.tlm = identity, identity
	case "Td":
		if v, ok := nums(args, 2); ok {
			in.td(v[0], v[1])
		}
	case "TD":
		if v, ok := nums(args, 2); ok {
			gs.lead = -v[1]
			in.td(v[0], v[1])
		}
	case "Tm":
		if v, ok := nums(args, 6); ok {
			in.tm = matrix{v[0], v[1], v[2], v[3], v[4], v[5]}
			in.tlm = in.tm
		}
	case "T*":
		in.td(0, -gs.lead)
	}
}

// showOp runs a text-showing operator.
func (in *interp) showOp(op pdfKeyword, args []pdfObj) {
	gs := &in.gs
	switch op {
	case "Tj":
		if len(args) > 0 {
			if s, ok := args[len(args)-1].(pdfString); ok {
				in.show(s)
			}
		}
	case "'":
		in.td(0, -gs.lead)
		if len(args) > 0 {
			if s, ok := args[len(args)-1].(pdfString); ok {
				in.show(s)
			}
		}
	case "\"":
		if len(args) >= 3 {
			if v, ok := nums(args[:len(args)-1], 2); ok {
				gs.wordSp, gs.charSp = v[0], v[1]
			}
			in.td(0, -gs.lead)
			if s, ok := args[len(args)-1].(pdfString); ok {
				in.show(s)
			}
		}
	case "TJ":
		if len(args) == 0 {
			return
		}
		arr, _ := args[len(args)-1].(pdfArray)
		for _, x := range arr {
			switch v := x.(type) {
			case pdfString:
				in.show(v)
			case int64:
				in.adjust(float64(v))
			case float64:
				in.adjust(v)
			}
		}
	}
}

func (in *interp) td(tx, ty float64) {
	in.tlm = matrix{1, 0, 0, 1, tx, ty}.mul(in.tlm)
	in.tm = in.tlm
}

// adjust applies a TJ number: a shift of -n/1000 em.
func (in *interp) adjust(n float64) {
	tx := -n / 1000 * in.gs.fontSize * in.gs.hscale
	in.tm = matrix{1, 0, 0, 1, tx, 0}.mul(in.tm)
}

// show emits the glyphs of a string and advances the text matrix.
func (in *interp) show(s pdfString) {
	gs := &in.gs
	f := gs.font
	if f == nil {
		f = in.d.loadFont(nil, in.fonts)
		gs.font = f
	}
	f.each([]byte(s), func(g glyphInfo) {
		trm := matrix{gs.fontSize * gs.hscale, 0, 0, gs.fontSize, 0, gs.rise}.mul(in.tm).mul(gs.ctm)
		own := g.w * gs.fontSize * gs.hscale
		tx := own + gs.charSp*gs.hscale
		if g.isSpace {
			tx += gs.wordSp * gs.hscale
		}
		m := in.tm.mul(gs.ctm)
		size := math.Hypot(trm[2], trm[3])
		x, y := trm[4], trm[5]
		ex, ey := x+own*m[0], y+own*m[1]
		if len(in.glyphs) < 1<<20 && finite(x, y, ex, ey, size) {
			in.glyphs = append(in.glyphs, glyph{
				text: g.text, x: x, y: y, size: size,
				ex: ex, ey: ey,
				space: isBlank(g.text), spw: f.space,
			})
		}
		in.tm = matrix{1, 0, 0, 1, tx, 0}.mul(in.tm)
	})
}

// finite reports whether coordinates are usable: no NaN, no infinity, no
// absurd magnitude from a hostile matrix.
func finite(vs ...float64) bool {
	for _, v := range vs {
		if !(v > -1e7 && v < 1e7) {
			return false
		}
	}
	return true
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\u00a0' && r != '\t' && r != '\u2002' && r != '\u2003' && r != '\u2009' {
			return false
		}
	}
	return s != ""
}

// form runs a form XObject with its matrix and resources.
func (in *interp) form(o pdfObj, res pdfDict, depth int) {
	s := in.d.stream(o)
	if s == nil || in.active[s] || in.d.name(s.dict["Subtype"]) != "Form" {
		return
	}
	data, ok := in.forms[s]
	if !ok {
		var err error
		data, err = in.d.decode(s)
		if err != nil {
			if _, ok := err.(*doctext.Error); ok {
				in.err = err
			}
			return
		}
		in.forms[s] = data
	}
	in.active[s] = true
	defer delete(in.active, s)
	saved := in.gs
	savedTm, savedTlm := in.tm, in.tlm
	if m := in.d.array(s.dict["Matrix"]); len(m) == 6 {
		var v matrix
		for i := range v {
			v[i], _ = in.d.num(m[i])
		}
		in.gs.ctm = v.mul(in.gs.ctm)
	}
	if r := in.d.dict(s.dict["Resources"]); r != nil {
		res = r
	}
	in.run(data, res, depth+1)
	in.gs = saved
	in.tm, in.tlm = savedTm, savedTlm
}
