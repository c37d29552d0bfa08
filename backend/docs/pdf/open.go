package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// pdfPage is a leaf of the page tree with its inherited attributes.
type pdfPage struct {
	num       int // object number, 0 when the page is a direct object
	dict      pdfDict
	resources pdfDict
	mediaBox  [4]float64
	rotate    int
}

// openPDF maps or reads the file into memory and loads its cross-reference
// table, rebuilding it by scanning when it is missing or broken. The caller
// closes the returned pdfDoc once nothing refers to its bytes.
func openPDF(ctx context.Context, r io.ReaderAt, size int64, lim doctext.Limits) (_ *pdfDoc, err error) {
	data, mapped, err := pdfBytes(r, size, lim)
	if err != nil {
		return nil, err
	}
	whole := data
	if mapped {
		defer func() {
			if err != nil {
				unmapFile(whole)
			}
		}()
	}
	start := bytes.Index(data[:min(len(data), 1024)], []byte("%PDF-"))
	if start < 0 {
		return nil, damaged(errors.New("no %PDF- header"))
	}
	if start > 0 { // junk before the header shifts every offset
		data = data[start:]
	}
	d := newPDFDoc(ctx, data, lim)
	if mapped {
		d.mapping = whole
	}
	if err := d.loadXref(); err != nil || d.dict(d.trailer["Root"]) == nil {
		d.rebuild()
	}
	if d.trailer == nil {
		return nil, damaged(errors.New("no trailer or catalog"))
	}
	if enc := d.dict(d.trailer["Encrypt"]); enc != nil || d.trailer["Encrypt"] != nil {
		c, err := newCrypt(d, enc)
		if err != nil {
			return nil, &doctext.Error{Kind: doctext.Encrypted, Msg: "this PDF is password-protected", Err: err}
		}
		d.crypt = c
		d.cache = map[int]pdfObj{}
		d.objStms = map[int]*objStm{}
	}
	return d, nil
}

// pdfBytes returns the file's bytes: mapped when r is a file (so a 200 MB
// PDF costs page cache, not heap), else read whole.
func pdfBytes(r io.ReaderAt, size int64, lim doctext.Limits) (data []byte, mapped bool, err error) {
	if size <= lim.MaxInflated {
		if data, ok := mapFile(r, size); ok {
			return data, true, nil
		}
	}
	data, err = doctext.ReadAll(r, size, lim, doctext.PDF)
	return data, false, err
}

// release lets go of the mapped file pages touched so far.
func (d *pdfDoc) release() {
	if d.mapping != nil {
		releaseMapped(d.mapping)
	}
}

// close unmaps a mapped file; d must not be used after.
func (d *pdfDoc) close() {
	if d.mapping != nil {
		unmapFile(d.mapping)
		d.mapping, d.data = nil, nil
	}
}

// pages walks the page tree in order, passing inherited attributes down.
// When the tree is unusable it falls back to every /Type /Page object in
// object-number order.
func (d *pdfDoc) pages() ([]pdfPage, error) {
	var out []pdfPage
	seen := map[int]bool{}
	var walk func(o pdfObj, inh pdfPage, depth int) error
	walk = func(o pdfObj, inh pdfPage, depth int) error {
		inh.num = 0
		if r, ok := o.(pdfRef); ok {
			if seen[r.num] {
				return nil
			}
			seen[r.num] = true
			inh.num = r.num
		}
		node := d.dict(o)
		if node == nil || depth > d.lim.MaxDepth {
			return nil
		}
		if err := d.ctx.Err(); err != nil {
			return err
		}
		if res := d.dict(node["Resources"]); res != nil {
			inh.resources = res
		}
		if mb := d.array(node["MediaBox"]); len(mb) == 4 {
			for i := range inh.mediaBox {
				inh.mediaBox[i], _ = d.num(mb[i])
			}
		}
		if _, ok := node["Rotate"]; ok {
			inh.rotate = d.int(node["Rotate"], 0)
		}
		kids, hasKids := node["Kids"]
		if t := d.typeOf(node); t == "Page" || (t != "Pages" && !hasKids) {
			inh.dict = node
			out = append(out, inh)
			if len(out)%128 == 0 {
				d.release()
			}
			if len(out) > d.lim.MaxPages {
				return &doctext.Error{Kind: doctext.TooManyPages, Msg: fmt.Sprintf("this PDF has more than %d pages; Chapel stops there", d.lim.MaxPages)}
			}
			return nil
		}
		for _, k := range d.array(kids) {
			if err := walk(k, inh, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	root := d.dict(d.trailer["Root"])
	def := pdfPage{mediaBox: [4]float64{0, 0, 612, 792}}
	if root != nil {
		if err := walk(root["Pages"], def, 0); err != nil {
			return nil, err
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	// The page tree is lost (a truncated file): take the page objects found.
	d.pagesLost = true
	t := d.scanTable()
	nums := make([]int, 0, len(t))
	for n := range t {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		if err := d.ctx.Err(); err != nil {
			return nil, err
		}
		dict := d.dict(pdfRef{num: n})
		if dict != nil && d.typeOf(dict) == "Page" {
			p := def
			p.dict, p.num = dict, n
			p.resources = d.dict(dict["Resources"])
			if p.resources == nil {
				p.resources = d.dict(d.dict(dict["Parent"])["Resources"])
			}
			out = append(out, p)
			if len(out) > d.lim.MaxPages {
				return nil, &doctext.Error{Kind: doctext.TooManyPages, Msg: fmt.Sprintf("this PDF has more than %d pages; Chapel stops there", d.lim.MaxPages)}
			}
		}
	}
	return out, nil
}

// maxAnnounced bounds the page count a file may claim (it is only shown).
const maxAnnounced = 1 << 20

// announcedPages is the page count the file states: the page tree's /Count,
// or when the catalog's tree is lost, the largest /Count of a page-tree node
// found by scanning, or a linearised file's /N. 0 when it states none.
func (d *pdfDoc) announcedPages() int {
	clamp := func(n int) int { return max(0, min(n, maxAnnounced)) }
	if root := d.dict(d.trailer["Root"]); root != nil {
		if tree := d.dict(root["Pages"]); tree != nil {
			if n := d.int(tree["Count"], 0); n > 0 {
				return clamp(n)
			}
		}
	}
	n := 0
	for num := range d.scanTable() {
		if d.ctx.Err() != nil {
			break
		}
		o := d.dict(pdfRef{num: num})
		switch {
		case o == nil:
		case d.typeOf(o) == "Pages":
			n = max(n, d.int(o["Count"], 0))
		case o["Linearized"] != nil:
			n = max(n, d.int(o["N"], 0))
		}
	}
	return clamp(n)
}

// eachContent decodes a page's content streams one by one (Contents is a
// stream or an array of them) and hands each to fn before decoding the
// next. A stream that cannot be decoded is skipped, unless the failure is
// one the whole file fails for (an *doctext.Error: the inflation limit).
func (d *pdfDoc) eachContent(o pdfObj, fn func(data []byte)) error {
	switch v := d.resolve(o).(type) {
	case *pdfStream:
		b, err := d.decode(v)
		if err != nil {
			return err
		}
		fn(b)
	case pdfArray:
		for _, x := range v {
			s := d.stream(x)
			if s == nil {
				continue
			}
			b, err := d.decode(s)
			if err != nil {
				var e *doctext.Error
				if errors.As(err, &e) {
					return err
				}
				continue
			}
			fn(b)
		}
	}
	return nil
}

// title returns the document title from the /Info dictionary.
func (d *pdfDoc) title() string {
	info := d.dict(d.trailer["Info"])
	if info == nil {
		return ""
	}
	return doctext.CleanTitle(decodeTextString(d.str(info["Title"])))
}
