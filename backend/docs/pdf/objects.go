package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

var (
	errEOF     = errors.New("unexpected end of PDF data")
	errTooDeep = errors.New("objects nested too deep")
	errNoObj   = errors.New("object not found")
)

// xrefEntry locates object num: at a file offset (inStm == 0) or as the
// idx-th object of object stream inStm.
type xrefEntry struct {
	off   int64
	inStm int
	idx   int
}

// pdfDoc is an open PDF: its bytes, cross-reference table and object cache.
type pdfDoc struct {
	ctx         context.Context
	data        []byte
	lim         doctext.Limits
	xref        map[int]xrefEntry
	trailer     pdfDict
	cache       map[int]pdfObj
	busy        map[int]bool // objects being loaded (reference cycles)
	objStms     map[int]*objStm
	scanned     map[int]xrefEntry // the table rebuilt by scanning, built lazily
	pagesLost   bool              // pages() found no page tree and took the page objects found
	scanTrailer pdfDict           // the trailer found by scanning
	inflated    int64             // bytes decoded so far, against lim.MaxInflated
	dests       map[string]pdfObj // named destinations, loaded lazily
	crypt       *pdfCrypt         // non-nil for a file encrypted with an empty user password
	mapping     []byte            // the whole mapped file, when data is mapped (nil when read)
}

type objStm struct {
	data []byte
	offs []int // offsets of the objects, relative to data
	nums []int
}

func newPDFDoc(ctx context.Context, data []byte, lim doctext.Limits) *pdfDoc {
	return &pdfDoc{
		ctx: ctx, data: data, lim: lim,
		xref: map[int]xrefEntry{}, cache: map[int]pdfObj{}, busy: map[int]bool{}, objStms: map[int]*objStm{},
	}
}

// resolve follows indirect references.
func (d *pdfDoc) resolve(o pdfObj) pdfObj {
	for i := 0; i < 32; i++ {
		r, ok := o.(pdfRef)
		if !ok {
			return o
		}
		o = d.object(r.num)
	}
	return nil
}

func (d *pdfDoc) dict(o pdfObj) pdfDict {
	switch v := d.resolve(o).(type) {
	case pdfDict:
		return v
	case *pdfStream:
		return v.dict
	}
	return nil
}

func (d *pdfDoc) array(o pdfObj) pdfArray {
	a, _ := d.resolve(o).(pdfArray)
	return a
}

func (d *pdfDoc) name(o pdfObj) pdfName {
	n, _ := d.resolve(o).(pdfName)
	return n
}

func (d *pdfDoc) num(o pdfObj) (float64, bool) {
	switch v := d.resolve(o).(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func (d *pdfDoc) int(o pdfObj, def int) int {
	if v, ok := d.num(o); ok && v > -1e9 && v < 1e9 {
		return int(v)
	}
	return def
}

func (d *pdfDoc) str(o pdfObj) pdfString {
	s, _ := d.resolve(o).(pdfString)
	return s
}

func (d *pdfDoc) stream(o pdfObj) *pdfStream {
	s, _ := d.resolve(o).(*pdfStream)
	return s
}

// object loads object num, or nil when it is missing or broken.
func (d *pdfDoc) object(num int) pdfObj {
	if o, ok := d.cache[num]; ok {
		return o
	}
	if d.busy[num] || len(d.busy) > d.lim.MaxDepth {
		return nil
	}
	d.busy[num] = true
	defer delete(d.busy, num)
	o, err := d.load(num, d.xref)
	if e, ok := d.xref[num]; err != nil && !(ok && e.off < 0 && e.inStm == 0) && d.scanTable() != nil {
		if e, ok := d.scanned[num]; ok && e != d.xref[num] {
			o, err = d.load(num, d.scanned)
		}
	}
	if err != nil {
		o = nil
	}
	d.cache[num] = o
	return o
}

func (d *pdfDoc) load(num int, table map[int]xrefEntry) (pdfObj, error) {
	e, ok := table[num]
	if !ok || (e.off < 0 && e.inStm == 0) {
		return nil, errNoObj
	}
	if e.inStm != 0 {
		return d.loadFromStm(num, e)
	}
	n, o, err := d.parseIndirect(e.off)
	if err != nil {
		return nil, err
	}
	if n != num {
		return nil, fmt.Errorf("object %d: found object %d at offset %d", num, n, e.off)
	}
	if d.crypt != nil {
		o = d.crypt.decryptObj(num, d.genAt(e.off), o)
	}
	return o, nil
}

// genAt reads the generation number of the object at off.
func (d *pdfDoc) genAt(off int64) int {
	l := &lexer{b: d.data, pos: int(off)}
	l.skipSpace()
	l.regular()
	l.skipSpace()
	g, _ := strconv.Atoi(string(l.regular()))
	return g
}

// parseIndirect reads "N G obj … endobj" at off.
func (d *pdfDoc) parseIndirect(off int64) (int, pdfObj, error) {
	if off < 0 || off >= int64(len(d.data)) {
		return 0, nil, errEOF
	}
	l := &lexer{b: d.data, pos: int(off), maxDepth: d.lim.MaxDepth}
	l.skipSpace()
	n, err1 := strconv.Atoi(string(l.regular()))
	l.skipSpace()
	_, err2 := strconv.Atoi(string(l.regular()))
	l.skipSpace()
	if err1 != nil || err2 != nil || string(l.regular()) != "obj" {
		return 0, nil, fmt.Errorf("no object at offset %d", off)
	}
	o, err := l.object(0)
	if err != nil {
		if err == errSyntax {
			return n, nil, nil
		}
		return 0, nil, err
	}
	if kw, ok := o.(pdfKeyword); ok {
		if kw == "endobj" {
			return n, nil, nil
		}
		return 0, nil, fmt.Errorf("object %d: unexpected %q", n, kw)
	}
	dict, isDict := o.(pdfDict)
	if isDict && l.keywordAt("stream") {
		l.skipSpace()
		l.pos += len("stream")
		if l.pos < len(l.b) && l.b[l.pos] == '\r' {
			l.pos++
		}
		if l.pos < len(l.b) && l.b[l.pos] == '\n' {
			l.pos++
		}
		return n, &pdfStream{dict: dict, raw: d.streamBytes(dict, l.pos)}, nil
	}
	return n, o, nil
}

// streamBytes finds a stream's data starting at start: /Length bytes when
// "endstream" follows them, else up to the next "endstream".
func (d *pdfDoc) streamBytes(dict pdfDict, start int) []byte {
	if n, ok := dict["Length"]; ok {
		if length := d.int(n, -1); length >= 0 && start+length <= len(d.data) {
			end := start + length
			l := &lexer{b: d.data, pos: end}
			if l.keywordAt("endstream") {
				return d.data[start:end:end]
			}
		}
	}
	i := bytes.Index(d.data[start:], []byte("endstream"))
	if i < 0 {
		return d.data[start:len(d.data):len(d.data)]
	}
	end := start + i
	if end > start && d.data[end-1] == '\n' {
		end--
	}
	if end > start && d.data[end-1] == '\r' {
		end--
	}
	return d.data[start:end:end]
}

// loadFromStm reads an object stored in an object stream.
func (d *pdfDoc) loadFromStm(num int, e xrefEntry) (pdfObj, error) {
	os, err := d.objStm(e.inStm)
	if err != nil {
		return nil, err
	}
	i := e.idx
	if i >= len(os.nums) || os.nums[i] != num {
		i = -1
		for k, n := range os.nums {
			if n == num {
				i = k
			}
		}
		if i < 0 {
			return nil, errNoObj
		}
	}
	if os.offs[i] >= len(os.data) {
		return nil, errEOF
	}
	l := &lexer{b: os.data, pos: os.offs[i], maxDepth: d.lim.MaxDepth}
	o, err := l.object(0)
	if err != nil && err != errSyntax {
		return nil, err
	}
	if _, ok := o.(pdfKeyword); ok {
		return nil, nil
	}
	return o, nil
}

func (d *pdfDoc) objStm(num int) (*objStm, error) {
	if os, ok := d.objStms[num]; ok {
		if os == nil {
			return nil, errNoObj
		}
		return os, nil
	}
	d.objStms[num] = nil
	s := d.stream(pdfRef{num: num})
	if s == nil {
		return nil, fmt.Errorf("object stream %d is missing", num)
	}
	data, err := d.decode(s)
	if err != nil {
		return nil, err
	}
	n := d.int(s.dict["N"], 0)
	first := d.int(s.dict["First"], 0)
	if n < 0 || first < 0 || first > len(data) || n > len(data) {
		return nil, fmt.Errorf("object stream %d: bad header", num)
	}
	os := &objStm{data: data}
	l := &lexer{b: data[:first], noRefs: true, maxDepth: 2}
	for k := 0; k < n; k++ {
		a, err1 := l.object(0)
		b, err2 := l.object(0)
		on, ok1 := a.(int64)
		off, ok2 := b.(int64)
		if err1 != nil || err2 != nil || !ok1 || !ok2 || off < 0 {
			break
		}
		os.nums = append(os.nums, int(on))
		os.offs = append(os.offs, first+int(off))
	}
	d.objStms[num] = os
	return os, nil
}

// decode returns a stream's decoded data, counting it against the
// inflation limit.
func (d *pdfDoc) decode(s *pdfStream) ([]byte, error) {
	budget := d.lim.MaxInflated - d.inflated
	if budget <= 0 {
		return nil, doctext.TooLargeError(doctext.PDF, d.lim.MaxInflated)
	}
	out, err := decodeStream(d, s, budget)
	d.inflated += int64(len(out))
	if errors.Is(err, doctext.ErrBudget) {
		return nil, doctext.TooLargeError(doctext.PDF, d.lim.MaxInflated)
	}
	return out, err
}

// typeOf returns a dictionary's /Type.
func (d *pdfDoc) typeOf(dict pdfDict) pdfName { return d.name(dict["Type"]) }
