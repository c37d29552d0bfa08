package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"errors"
	"fmt"
	"io"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

var errImageFilter = errors.New("image filter")

// decodeStream applies a stream's filters, producing at most budget bytes.
func decodeStream(d *pdfDoc, s *pdfStream, budget int64) ([]byte, error) {
	var filters []pdfName
	var parms []pdfDict
	switch f := d.resolve(s.dict["Filter"]).(type) {
	case pdfName:
		filters = []pdfName{f}
		parms = []pdfDict{d.dict(s.dict["DecodeParms"])}
	case pdfArray:
		pa := d.array(s.dict["DecodeParms"])
		for i, x := range f {
			filters = append(filters, d.name(x))
			var p pdfDict
			if i < len(pa) {
				p = d.dict(pa[i])
			}
			parms = append(parms, p)
		}
	}
	data := s.raw
	if int64(len(data)) > budget {
		return nil, doctext.ErrBudget
	}
	for i, f := range filters {
		// The previous filter's output stays while the next one decodes
		// it: the two together must fit the budget.
		avail := budget
		if i > 0 {
			avail -= int64(len(data))
		}
		if avail < 0 {
			return nil, doctext.ErrBudget
		}
		var err error
		data, err = applyFilter(d, f, parms[i], data, avail)
		if err != nil {
			return data, err
		}
	}
	return data, nil
}

func applyFilter(d *pdfDoc, f pdfName, p pdfDict, in []byte, budget int64) ([]byte, error) {
	var out []byte
	var err error
	switch f {
	case "FlateDecode", "Fl":
		out, err = inflate(in, budget)
	case "LZWDecode", "LZW":
		early := 1
		if p != nil {
			early = d.int(p["EarlyChange"], 1)
		}
		out, err = lzwDecode(in, early == 1, budget)
	case "ASCIIHexDecode", "AHx":
		out = asciiHexDecode(in)
	case "ASCII85Decode", "A85":
		out = ascii85Decode(in)
	case "RunLengthDecode", "RL":
		out, err = runLengthDecode(in, budget)
	case "Crypt":
		return in, nil
	case "DCTDecode", "DCT", "JPXDecode", "CCITTFaxDecode", "CCF", "JBIG2Decode":
		return nil, errImageFilter
	default:
		return nil, fmt.Errorf("unknown filter %q", f)
	}
	if err != nil && !errors.Is(err, doctext.ErrBudget) && len(out) > 0 {
		err = nil // keep what a damaged stream gave
	}
	if err != nil {
		return out, err
	}
	if p != nil && (f == "FlateDecode" || f == "Fl" || f == "LZWDecode" || f == "LZW") {
		if pred := d.int(p["Predictor"], 1); pred > 1 {
			return unpredict(out, pred, d.int(p["Colors"], 1), d.int(p["BitsPerComponent"], 8), d.int(p["Columns"], 1))
		}
	}
	return out, nil
}

// inflate decompresses zlib data, falling back to raw deflate, and keeps
// what it decoded before any error.
func inflate(in []byte, budget int64) ([]byte, error) {
	return doctext.DecodeSized(budget, func(w *doctext.Sink) error {
		var r io.Reader
		if zr, err := zlib.NewReader(bytes.NewReader(in)); err == nil {
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(in))
		}
		_, err := io.Copy(w, r)
		if errors.Is(err, doctext.ErrBudget) {
			return err
		}
		if err != nil && w.Written() == 0 && len(in) > 2 {
			// A stream with a broken zlib header: try raw deflate past it.
			_, err2 := io.Copy(w, flate.NewReader(bytes.NewReader(in[2:])))
			if errors.Is(err2, doctext.ErrBudget) {
				return err2
			}
			if w.Written() > 0 {
				return nil
			}
		}
		if errors.Is(err, zlib.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = nil
		}
		return err
	})
}

// lzwDecode decodes PDF's LZW: MSB-first codes of 9 to 12 bits, with the
// code width growing one code early unless early is false.
func lzwDecode(in []byte, early bool, budget int64) ([]byte, error) {
	return doctext.DecodeSized(budget, func(w *doctext.Sink) error { return lzwInto(w, in, early) })
}

func lzwInto(w *doctext.Sink, in []byte, early bool) error {
	const clear, eod = 256, 257
	prefix := make([]int32, 4096)
	suffix := make([]byte, 4096)
	lengths := make([]int32, 4096)
	for i := 0; i < 256; i++ {
		suffix[i], prefix[i], lengths[i] = byte(i), -1, 1
	}
	next, width := 258, 9
	prev := -1
	var acc uint32
	nbits := 0
	buf := make([]byte, 0, 4096)
	for pos := 0; ; {
		for nbits < width && pos < len(in) {
			acc = acc<<8 | uint32(in[pos])
			pos++
			nbits += 8
		}
		if nbits < width {
			break
		}
		code := int(acc>>(nbits-width)) & (1<<width - 1)
		nbits -= width
		if code == clear {
			next, width, prev = 258, 9, -1
			continue
		}
		if code == eod {
			break
		}
		var entry []byte
		switch {
		case code < next && (code < 256 || code >= 258):
			entry = expand(buf[:0], code, prefix, suffix, lengths)
		case code == next && prev >= 0:
			entry = expand(buf[:0], prev, prefix, suffix, lengths)
			entry = append(entry, entry[0])
		default:
			return errors.New("lzw: bad code")
		}
		buf = entry
		if _, err := w.Write(entry); err != nil {
			return err
		}
		if prev >= 0 && next < 4096 {
			prefix[next], suffix[next], lengths[next] = int32(prev), entry[0], lengths[prev]+1
			next++
		}
		prev = code
		e := 0
		if early {
			e = 1
		}
		if next+e >= 1<<width && width < 12 {
			width++
		}
	}
	return nil
}

func expand(dst []byte, code int, prefix []int32, suffix []byte, lengths []int32) []byte {
	n := int(lengths[code])
	if n <= 0 || n > 4096 {
		return append(dst, 0)
	}
	start := len(dst)
	for i := 0; i < n; i++ {
		dst = append(dst, 0)
	}
	for i := n - 1; i >= 0 && code >= 0; i-- {
		dst[start+i] = suffix[code]
		code = int(prefix[code])
	}
	return dst
}

func asciiHexDecode(in []byte) []byte {
	l := &lexer{b: append(append([]byte{}, in...), '>')}
	return []byte(l.hex())
}

// ascii85Decode decodes an ASCII85Decode stream: from after an optional
// "<~" to the "~>" end marker (or the end of the data), skipping bytes
// outside the alphabet and a "z" inside a group, as lenient readers do.
func ascii85Decode(in []byte) []byte {
	if i := bytes.Index(in, []byte("<~")); i >= 0 && i < 8 {
		in = in[i+2:]
	}
	if i := bytes.IndexByte(in, '~'); i >= 0 {
		in = in[:i]
	}
	clean := make([]byte, 0, len(in))
	n := 0 // characters in the current group
	for _, c := range in {
		switch {
		case c == 'z' && n == 0:
			clean = append(clean, c)
		case c >= '!' && c <= 'u':
			clean = append(clean, c)
			n = (n + 1) % 5
		}
	}
	if n == 1 { // a lone last character encodes nothing
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, 4*len(clean)+4)
	w, _, _ := ascii85.Decode(out, clean, true) // clean holds only what decodes
	return out[:w]
}

func runLengthDecode(in []byte, budget int64) ([]byte, error) {
	return doctext.DecodeSized(budget, func(w *doctext.Sink) error {
		var run [128]byte
		for i := 0; i < len(in); {
			n := int(in[i])
			i++
			switch {
			case n == 128:
				return nil
			case n < 128:
				end := min(i+n+1, len(in))
				if _, err := w.Write(in[i:end]); err != nil {
					return err
				}
				i = end
			default:
				if i < len(in) {
					r := run[:257-n]
					for k := range r {
						r[k] = in[i]
					}
					if _, err := w.Write(r); err != nil {
						return err
					}
				}
				i++
			}
		}
		return nil
	})
}

// unpredict undoes PNG (predictor >= 10) and TIFF (2) predictors.
func unpredict(in []byte, pred, colors, bpc, columns int) ([]byte, error) {
	if colors < 1 || colors > 32 || bpc < 1 || bpc > 16 || columns < 1 || columns > 1<<20 {
		return nil, errors.New("bad predictor parameters")
	}
	bpp := max(1, colors*bpc/8)
	rowLen := (colors*bpc*columns + 7) / 8
	if rowLen > len(in) { // at most one (short) row: don't allocate for the claim
		rowLen = max(1, len(in))
	}
	if pred == 2 {
		if bpc != 8 {
			return in, nil
		}
		out := in // the filter's own output: decoded in place
		for r := 0; r+rowLen <= len(out); r += rowLen {
			for i := bpp; i < rowLen; i++ {
				out[r+i] += out[r+i-bpp]
			}
		}
		return out, nil
	}
	// Rows are decoded in place: row k lands at k*rowLen, before the
	// k*(rowLen+1)+1 bytes of input read by then.
	out := in[:0]
	prev := make([]byte, rowLen)
	row := make([]byte, rowLen)
	for pos := 0; pos < len(in); {
		ft := in[pos]
		pos++
		end := min(pos+rowLen, len(in))
		clear(row)
		copy(row, in[pos:end])
		pos = end
		for i := 0; i < rowLen; i++ {
			var a, c byte
			b := prev[i]
			if i >= bpp {
				a, c = row[i-bpp], prev[i-bpp]
			}
			switch ft {
			case 1:
				row[i] += a
			case 2:
				row[i] += b
			case 3:
				row[i] += byte((int(a) + int(b)) / 2)
			case 4:
				row[i] += paeth(a, b, c)
			}
		}
		out = append(out, row...)
		prev, row = row, prev
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
