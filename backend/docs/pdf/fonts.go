package pdf

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// pdfFont decodes a font's strings into text and glyph widths.
type pdfFont struct {
	cid     bool               // Type0: multi-byte codes mapped to CIDs
	toUni   *cmap              // ToUnicode, when present
	encCMap *cmap              // Type0 encoding CMap; nil means Identity (2 bytes)
	utf16   bool               // Type0 with a predefined Unicode CMap: codes are UTF-16BE
	enc     encoding           // simple fonts: text per code
	widths  map[uint32]float64 // per code (simple) or CID (Type0), in text space units
	cidWRgs []cidWidthRange
	defW    float64 // width of glyphs without one
	space   float64 // the width of a space, or an estimate
	cache   map[uint64]glyphInfo
}

type cidWidthRange struct {
	lo, hi uint32
	w      float64
}

type glyphInfo struct {
	text    string
	w       float64 // advance in text space units per unit of font size
	isSpace bool    // the single-byte code 32, which word spacing applies to
}

// loadFont builds a font from its dictionary; fonts are cached per object.
func (d *pdfDoc) loadFont(o pdfObj, cache map[pdfObj]*pdfFont) *pdfFont {
	var key pdfObj = o
	switch v := o.(type) {
	case pdfRef:
	case pdfDict: // a font written inline: cached by the dictionary's identity
		key = reflect.ValueOf(v).Pointer()
	default:
		key = nil
	}
	if f, ok := cache[key]; ok && key != nil {
		return f
	}
	f := &pdfFont{widths: map[uint32]float64{}, cache: map[uint64]glyphInfo{}}
	fd := d.dict(o)
	if fd == nil {
		fd = pdfDict{}
	}
	if s := d.stream(fd["ToUnicode"]); s != nil {
		if b, err := d.decode(s); err == nil {
			f.toUni = parseCMap(b)
		}
	}
	sub := d.name(fd["Subtype"])
	base := string(d.name(fd["BaseFont"]))
	if i := strings.IndexByte(base, '+'); i == 6 {
		base = base[i+1:]
	}
	if sub == "Type0" {
		d.loadCIDFont(f, fd)
	} else {
		d.loadSimpleFont(f, fd, sub, base)
	}
	if key != nil {
		cache[key] = f
	}
	return f
}

func (d *pdfDoc) loadSimpleFont(f *pdfFont, fd pdfDict, sub pdfName, base string) {
	scale := 0.001
	if sub == "Type3" {
		if m := d.array(fd["FontMatrix"]); len(m) == 6 {
			if v, ok := d.num(m[0]); ok && v != 0 {
				scale = v
			}
		}
	}
	desc := d.dict(fd["FontDescriptor"])
	first := d.int(fd["FirstChar"], 0)
	for i, w := range d.array(fd["Widths"]) {
		if v, ok := d.num(w); ok && v > 0 && first+i >= 0 && first+i < 256 {
			f.widths[uint32(first+i)] = v * scale
		}
	}
	std := standardWidths(base)
	f.defW = 0.5
	if mw, ok := d.num(desc["MissingWidth"]); ok && mw > 0 {
		f.defW = mw * scale
	} else if aw, ok := d.num(desc["AvgWidth"]); ok && aw > 0 {
		f.defW = aw * scale
	}
	// The encoding: a base (named, or the font's own) plus /Differences.
	symbolic := d.int(desc["Flags"], 0)&4 != 0
	var enc encoding
	haveBase := false
	encObj := d.resolve(fd["Encoding"])
	var diffs pdfArray
	switch e := encObj.(type) {
	case pdfName:
		enc, haveBase = baseEncoding(e)
	case pdfDict:
		enc, haveBase = baseEncoding(d.name(e["BaseEncoding"]))
		diffs = d.array(e["Differences"])
	}
	if !haveBase {
		if builtin, ok := d.builtinEncoding(desc); ok {
			enc, haveBase = builtin, true
		}
	}
	if !haveBase {
		switch {
		case strings.HasPrefix(base, "Symbol"):
			enc = symbolEncoding
		case strings.HasPrefix(base, "ZapfDingbats"):
		case symbolic && sub == "TrueType":
			enc = winAnsiEncoding
		default:
			enc = standardEncoding
		}
	}
	code := 0
	for _, x := range diffs {
		switch v := d.resolve(x).(type) {
		case int64:
			code = int(v)
		case pdfName:
			if code >= 0 && code < 256 {
				enc[code] = glyphText(string(v))
			}
			code++
		}
	}
	f.enc = enc
	if std != nil {
		for c := 0; c < 256; c++ {
			if _, ok := f.widths[uint32(c)]; !ok && enc[c] != "" {
				if w, ok := std[enc[c]]; ok {
					f.widths[uint32(c)] = w
				}
			}
		}
	}
	f.space = f.widths[32]
	if f.space == 0 {
		f.space = f.estimateSpace()
	}
}

// estimateSpace guesses a space's width from the average glyph width.
func (f *pdfFont) estimateSpace() float64 {
	var sum float64
	n := 0
	for _, w := range f.widths {
		if w > 0 {
			sum += w
			n++
		}
	}
	if n == 0 {
		return 0.25
	}
	return sum / float64(n) * 0.5
}

func (d *pdfDoc) loadCIDFont(f *pdfFont, fd pdfDict) {
	f.cid = true
	switch e := d.resolve(fd["Encoding"]).(type) {
	case pdfName:
		n := string(e)
		if strings.HasPrefix(n, "Uni") && (strings.Contains(n, "UCS2") || strings.Contains(n, "UTF16")) {
			f.utf16 = true
		}
	case *pdfStream:
		if b, err := d.decode(e); err == nil {
			f.encCMap = parseCMap(b)
			if len(f.encCMap.space) == 0 {
				f.encCMap.space = []codeRange{{n: 2, lo: []byte{0, 0}, hi: []byte{0xFF, 0xFF}}}
			}
		}
	}
	desc := d.array(fd["DescendantFonts"])
	var cf pdfDict
	if len(desc) > 0 {
		cf = d.dict(desc[0])
	}
	f.defW = 1.0
	if dw, ok := d.num(cf["DW"]); ok && dw > 0 {
		f.defW = dw / 1000
	}
	w := d.array(cf["W"])
	for i := 0; i < len(w) && i < 1<<20; {
		c0, ok := d.num(w[i])
		if !ok || i+1 >= len(w) {
			break
		}
		if arr := d.array(w[i+1]); arr != nil {
			for k, x := range arr {
				if v, ok := d.num(x); ok {
					f.widths[uint32(c0)+uint32(k)] = v / 1000
				}
			}
			i += 2
			continue
		}
		if i+2 >= len(w) {
			break
		}
		c1, _ := d.num(w[i+1])
		v, _ := d.num(w[i+2])
		if c1 >= c0 {
			f.cidWRgs = append(f.cidWRgs, cidWidthRange{lo: uint32(c0), hi: uint32(c1), w: v / 1000})
		}
		i += 3
	}
	f.space = f.defW * 0.25
	if f.toUni != nil {
		// A CID whose text is a space tells the space width.
		for k, s := range f.toUni.chars {
			if s == " " {
				f.space = f.cidWidth(uint32(k))
				break
			}
		}
	}
}

func (f *pdfFont) cidWidth(cid uint32) float64 {
	if w, ok := f.widths[cid]; ok {
		return w
	}
	for _, r := range f.cidWRgs {
		if cid >= r.lo && cid <= r.hi {
			return r.w
		}
	}
	return f.defW
}

// each calls fn for every code in s.
func (f *pdfFont) each(s []byte, fn func(g glyphInfo)) {
	for i := 0; i < len(s); {
		n := 1
		if f.cid {
			switch {
			case f.encCMap != nil:
				n = f.encCMap.codeLen(s[i:])
			default:
				n = 2
			}
			if n <= 0 || i+n > len(s) {
				n = len(s) - i
			}
		}
		code := codeOf(s[i : i+n])
		key := codeKey(n, code)
		g, ok := f.cache[key]
		if !ok {
			g = f.glyph(n, code)
			f.cache[key] = g
		}
		fn(g)
		i += n
	}
}

func (f *pdfFont) glyph(n int, code uint32) glyphInfo {
	g := glyphInfo{isSpace: n == 1 && code == 32}
	if f.cid {
		cid := code
		if f.encCMap != nil {
			if c, ok := f.encCMap.cid(n, code); ok {
				cid = c
			}
		}
		g.w = f.cidWidth(cid)
	} else {
		g.w = f.defW
		if w, ok := f.widths[code]; ok {
			g.w = w
		}
	}
	if f.toUni != nil {
		if s, ok := f.toUni.lookup(n, code); ok && usableText(s) {
			g.text = s
			return g
		}
	}
	switch {
	case f.cid && f.utf16:
		g.text = doctext.DecodeUTF16([]byte{byte(code >> 8), byte(code)}, true)
	case !f.cid && code < 256:
		g.text = f.enc[code]
	}
	return g
}

// usableText rejects ToUnicode entries that map to nothing useful.
func usableText(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != unicode.ReplacementChar && (r >= ' ' || r == '\t') {
			return true
		}
	}
	return false
}

// builtinEncoding reads the encoding of an embedded Type 1 font program
// ("dup 12 /fi put" lines in its clear-text part).
func (d *pdfDoc) builtinEncoding(desc pdfDict) (encoding, bool) {
	s := d.stream(desc["FontFile"])
	if s == nil {
		if s3 := d.stream(desc["FontFile3"]); s3 != nil {
			return d.cffEncoding(s3)
		}
		return encoding{}, false
	}
	b, err := d.decode(s)
	if err != nil {
		return encoding{}, false
	}
	if l1 := d.int(s.dict["Length1"], 0); l1 > 0 && l1 < len(b) {
		b = b[:l1]
	}
	i := bytes.Index(b, []byte("/Encoding"))
	if i < 0 {
		return encoding{}, false
	}
	b = b[i+len("/Encoding"):]
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("StandardEncoding")) {
		return standardEncoding, true
	}
	if j := bytes.Index(b, []byte("readonly def")); j >= 0 {
		b = b[:j]
	} else if j := bytes.Index(b, []byte(" def")); j >= 0 {
		b = b[:j]
	}
	var enc encoding
	found := false
	for _, line := range bytes.Split(b, []byte("dup ")) {
		f := strings.Fields(string(line))
		if len(f) >= 3 && f[2] == "put" && strings.HasPrefix(f[1], "/") {
			c, err := strconv.Atoi(f[0])
			if err == nil && c >= 0 && c < 256 {
				enc[c] = glyphText(f[1][1:])
				found = true
			}
		}
	}
	return enc, found
}

// cffEncoding would read the built-in encoding of a bare CFF font program;
// such fonts almost always come with /Encoding or /ToUnicode, so Chapel
// falls back to the standard encoding instead.
func (d *pdfDoc) cffEncoding(s *pdfStream) (encoding, bool) { return encoding{}, false }
