package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// loadXref reads the cross-reference sections from the last startxref
// back through /Prev, newest first, so later updates win.
func (d *pdfDoc) loadXref() error {
	tail := d.data[max(0, len(d.data)-4096):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return errors.New("no startxref")
	}
	l := &lexer{b: tail, pos: i + len("startxref")}
	l.skipSpace()
	off, err := strconv.ParseInt(string(l.regular()), 10, 64)
	if err != nil {
		return fmt.Errorf("bad startxref: %w", err)
	}
	seen := map[int64]bool{}
	for k := 0; off > 0 && !seen[off] && k < 1000; k++ {
		seen[off] = true
		trailer, err := d.xrefSection(off)
		if err != nil {
			if k == 0 {
				return err
			}
			break // an older section is broken: keep what the newer ones gave
		}
		if s, ok := trailer["XRefStm"]; ok { // hybrid files: the stream completes the table
			if o := int64(d.int(s, -1)); o > 0 && !seen[o] {
				seen[o] = true
				_, _ = d.xrefSection(o)
			}
		}
		if d.trailer == nil {
			d.trailer = pdfDict{}
		}
		for key, v := range trailer {
			if _, ok := d.trailer[key]; !ok {
				d.trailer[key] = v
			}
		}
		off = int64(d.int(trailer["Prev"], 0))
	}
	if d.trailer == nil || d.trailer["Root"] == nil {
		return errors.New("no trailer with /Root")
	}
	return nil
}

// xrefSection reads a table ("xref …  trailer <<…>>") or an xref stream at
// off, adds the entries not yet known and returns the trailer.
func (d *pdfDoc) xrefSection(off int64) (pdfDict, error) {
	if off < 0 || off >= int64(len(d.data)) {
		return nil, errors.New("xref offset out of range")
	}
	l := &lexer{b: d.data, pos: int(off), maxDepth: d.lim.MaxDepth}
	if l.keywordAt("xref") {
		l.skipSpace()
		l.pos += 4
		return d.xrefTable(l)
	}
	_, o, err := d.parseIndirect(off)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*pdfStream)
	if !ok || d.typeOf(s.dict) != "XRef" {
		return nil, errors.New("no xref at offset")
	}
	return s.dict, d.xrefStream(s)
}

func (d *pdfDoc) xrefTable(l *lexer) (pdfDict, error) {
	for {
		l.skipSpace()
		w := l.regular()
		if string(w) == "trailer" {
			t, err := l.object(0)
			dict, ok := t.(pdfDict)
			if err != nil || !ok {
				return nil, errors.New("bad trailer")
			}
			return dict, nil
		}
		start, err1 := strconv.Atoi(string(w))
		l.skipSpace()
		count, err2 := strconv.Atoi(string(l.regular()))
		if err1 != nil || err2 != nil || start < 0 || count < 0 || count > len(d.data)/18+1 {
			return nil, errors.New("bad xref subsection")
		}
		for k := 0; k < count; k++ {
			l.skipSpace()
			o, err1 := strconv.ParseInt(string(l.regular()), 10, 64)
			l.skipSpace()
			_ = l.regular() // generation
			l.skipSpace()
			typ := l.regular()
			if err1 != nil || len(typ) != 1 {
				return nil, errors.New("bad xref entry")
			}
			num := start + k
			if typ[0] == 'n' && o > 0 {
				if _, ok := d.xref[num]; !ok {
					d.xref[num] = xrefEntry{off: o}
				}
			} else if _, ok := d.xref[num]; !ok && typ[0] == 'f' {
				d.xref[num] = xrefEntry{off: -1} // freed in this update: shadows older entries
			}
		}
	}
}

func (d *pdfDoc) xrefStream(s *pdfStream) error {
	data, err := d.decode(s)
	if err != nil {
		return err
	}
	w := d.array(s.dict["W"])
	if len(w) < 3 {
		return errors.New("xref stream without /W")
	}
	var ws [3]int
	rec := 0
	for i := range ws {
		ws[i] = d.int(w[i], -1)
		if ws[i] < 0 || ws[i] > 8 {
			return errors.New("bad /W")
		}
		rec += ws[i]
	}
	if rec == 0 {
		return errors.New("bad /W")
	}
	index := []int{0, d.int(s.dict["Size"], 0)}
	if ia := d.array(s.dict["Index"]); len(ia) >= 2 {
		index = index[:0]
		for _, x := range ia {
			index = append(index, d.int(x, 0))
		}
	}
	field := func(b []byte) int64 {
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	pos := 0
	for i := 0; i+1 < len(index); i += 2 {
		start, count := index[i], index[i+1]
		for k := 0; k < count && pos+rec <= len(data); k++ {
			r := data[pos : pos+rec]
			pos += rec
			typ := int64(1)
			if ws[0] > 0 {
				typ = field(r[:ws[0]])
			}
			f2 := field(r[ws[0] : ws[0]+ws[1]])
			f3 := field(r[ws[0]+ws[1]:])
			num := start + k
			if _, ok := d.xref[num]; ok || num < 0 {
				continue
			}
			switch typ {
			case 0:
				d.xref[num] = xrefEntry{off: -1}
			case 1:
				d.xref[num] = xrefEntry{off: f2}
			case 2:
				if f2 > 0 && f2 < 1<<31 {
					d.xref[num] = xrefEntry{inStm: int(f2), idx: int(f3)}
				}
			}
		}
	}
	return nil
}

// scanTable rebuilds the cross-reference table by scanning the file for
// "N G obj", once; later definitions win, as in incremental updates.
func (d *pdfDoc) scanTable() map[int]xrefEntry {
	if d.scanned != nil {
		return d.scanned
	}
	d.scanned = map[int]xrefEntry{}
	data := d.data
	for i := 0; d.ctx.Err() == nil; {
		k := bytes.Index(data[i:], []byte("obj"))
		if k < 0 {
			break
		}
		at := i + k
		i = at + 3
		if at == 0 || !isSpace(data[at-1]) || (at+3 < len(data) && isRegular(data[at+3])) {
			continue
		}
		// Walk back over "num gen ".
		p := at - 1
		for p >= 0 && isSpace(data[p]) {
			p--
		}
		ge := p + 1
		for p >= 0 && data[p] >= '0' && data[p] <= '9' {
			p--
		}
		if p+1 == ge || p < 0 || !isSpace(data[p]) {
			continue
		}
		for p >= 0 && isSpace(data[p]) {
			p--
		}
		ne := p + 1
		for p >= 0 && data[p] >= '0' && data[p] <= '9' {
			p--
		}
		if p+1 == ne || ne-(p+1) > 10 || (p >= 0 && isRegular(data[p])) {
			continue
		}
		num, err := strconv.Atoi(string(data[p+1 : ne]))
		if err != nil {
			continue
		}
		d.scanned[num] = xrefEntry{off: int64(p + 1)}
	}
	// Objects inside object streams, where no direct object claims them.
	nums := make([]int, 0, len(d.scanned))
	for n := range d.scanned {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		if d.ctx.Err() != nil {
			break // the caller reports the cancellation
		}
		_, o, err := d.parseIndirect(d.scanned[n].off)
		s, ok := o.(*pdfStream)
		if err != nil || !ok {
			continue
		}
		switch d.typeOf(s.dict) {
		case "ObjStm":
			if os, err := d.objStmAt(n, s); err == nil {
				for k, on := range os.nums {
					if _, ok := d.scanned[on]; !ok {
						d.scanned[on] = xrefEntry{inStm: n, idx: k}
					}
				}
			}
		case "XRef":
			if s.dict["Root"] != nil {
				d.scannedTrailer(s.dict)
			}
		}
	}
	// Trailers: the last one with /Root wins.
	for i := 0; ; {
		k := bytes.Index(data[i:], []byte("trailer"))
		if k < 0 {
			break
		}
		i += k + len("trailer")
		l := &lexer{b: data, pos: i, maxDepth: d.lim.MaxDepth}
		if t, err := l.object(0); err == nil {
			if dict, ok := t.(pdfDict); ok && dict["Root"] != nil {
				d.scannedTrailer(dict)
			}
		}
	}
	return d.scanned
}

func (d *pdfDoc) scannedTrailer(t pdfDict) {
	if d.scanTrailer == nil {
		d.scanTrailer = pdfDict{}
	}
	for k, v := range t {
		d.scanTrailer[k] = v
	}
}

// objStmAt parses an object stream found while scanning.
func (d *pdfDoc) objStmAt(num int, s *pdfStream) (*objStm, error) {
	if _, ok := d.objStms[num]; !ok {
		d.cache[num] = s
	}
	return d.objStm(num)
}

// rebuild replaces the cross-reference table with the scanned one.
func (d *pdfDoc) rebuild() {
	t := d.scanTable()
	d.trailer = d.scanTrailer
	d.xref = make(map[int]xrefEntry, len(t))
	for k, v := range t {
		d.xref[k] = v
	}
	d.cache = map[int]pdfObj{}
	d.objStms = map[int]*objStm{}
	if d.trailer == nil || d.dict(d.trailer["Root"]) == nil {
		// No usable trailer: find the catalog.
		nums := make([]int, 0, len(d.xref))
		for n := range d.xref {
			nums = append(nums, n)
		}
		sort.Ints(nums)
		for _, n := range nums {
			if dict := d.dict(pdfRef{num: n}); dict != nil && d.typeOf(dict) == "Catalog" {
				if d.trailer == nil {
					d.trailer = pdfDict{}
				}
				d.trailer["Root"] = pdfRef{num: n}
			}
		}
	}
	if d.trailer == nil {
		d.trailer = pdfDict{} // no catalog: pages are found by scanning
	}
}
