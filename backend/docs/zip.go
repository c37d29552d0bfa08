package docs

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// failingReaderAt remembers the first error of the file under a zip reader,
// so a file that vanishes mid-read is told apart from a corrupt archive.
type failingReaderAt struct {
	r   io.ReaderAt
	err error
}

func (f *failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) && f.err == nil {
		f.err = err
	}
	return n, err
}

// zipDoc is an open zip-based document with its limits.
type zipDoc struct {
	e        *extractor
	src      *failingReaderAt
	files    map[string]*zip.File
	lower    map[string]*zip.File
	inflated int64
}

// extractZip opens a DOCX, ODT or EPUB file.
func extractZip(ctx context.Context, e *extractor, r io.ReaderAt, size int64) (*Document, error) {
	z, err := openZip(e, r, size)
	if err != nil {
		return nil, err
	}
	switch e.format {
	case DOCX:
		return extractDOCX(z)
	case ODT:
		return extractODT(z)
	default:
		return extractEPUB(z)
	}
}

func openZip(e *extractor, r io.ReaderAt, size int64) (*zipDoc, error) {
	src := &failingReaderAt{r: r}
	// Count the entries from the end record before archive/zip allocates
	// them all.
	if n, err := zipEntryCount(src, size); err != nil {
		if src.err != nil {
			return nil, doctext.ReadError(src.err)
		}
		return nil, doctext.DamagedError(e.format, err)
	} else if n > uint64(e.lim.MaxEntries) {
		return nil, &Error{Kind: TooManyEntries, Msg: fmt.Sprintf("this %s holds more than %d files; Chapel stops there", doctext.FormatNoun(e.format), e.lim.MaxEntries)}
	}
	zr, err := zip.NewReader(src, size)
	if err != nil {
		if src.err != nil {
			return nil, doctext.ReadError(src.err)
		}
		return nil, doctext.DamagedError(e.format, err)
	}
	if len(zr.File) > e.lim.MaxEntries {
		return nil, &Error{Kind: TooManyEntries, Msg: fmt.Sprintf("this %s holds more than %d files; Chapel stops there", doctext.FormatNoun(e.format), e.lim.MaxEntries)}
	}
	z := &zipDoc{e: e, src: src, files: map[string]*zip.File{}, lower: map[string]*zip.File{}}
	for _, f := range zr.File {
		name := strings.TrimPrefix(strings.ReplaceAll(f.Name, "\\", "/"), "/")
		z.files[name] = f
		z.lower[strings.ToLower(name)] = f
	}
	return z, nil
}

// zipEntryCount reads the entry count of the end of central directory
// record (or its zip64 form).
func zipEntryCount(r io.ReaderAt, size int64) (uint64, error) {
	n := min(size, 65535+22)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	i := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	if i < 0 || i+22 > len(tail) {
		return 0, errors.New("no end of central directory")
	}
	count := uint64(binary.LittleEndian.Uint16(tail[i+10:]))
	if count == 0xFFFF && i >= 20 && string(tail[i-20:i-16]) == "PK\x06\x07" {
		off := int64(binary.LittleEndian.Uint64(tail[i-20+8:]))
		rec := make([]byte, 56)
		if off >= 0 && off+56 <= size {
			if _, err := r.ReadAt(rec, off); err == nil && string(rec[:4]) == "PK\x06\x06" {
				count = binary.LittleEndian.Uint64(rec[32:])
			}
		}
	}
	return count, nil
}

// file returns an entry by name (exactly, else ignoring case), or nil.
func (z *zipDoc) file(name string) *zip.File {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if f, ok := z.files[name]; ok {
		return f
	}
	return z.lower[strings.ToLower(name)]
}

// read inflates an entry, counting its real size (not the header's)
// against the limit. Memory follows the real size too: an entry is counted
// before a buffer of its size is made (decodeSized), so a bomb costs
// nothing and an entry no more than itself.
func (z *zipDoc) read(name string) ([]byte, error) {
	if err := z.e.ctx.Err(); err != nil {
		return nil, err
	}
	f := z.file(name)
	if f == nil {
		return nil, doctext.DamagedError(z.e.format, fmt.Errorf("%s is missing", name))
	}
	budget := z.e.lim.MaxInflated - z.inflated
	data, err := doctext.DecodeSized(budget, func(w *doctext.Sink) error {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(w, &ctxReader{ctx: z.e.ctx, r: rc})
		return err
	})
	if errors.Is(err, doctext.ErrBudget) {
		z.inflated = z.e.lim.MaxInflated
		return nil, doctext.TooLargeError(z.e.format, z.e.lim.MaxInflated)
	}
	if err != nil {
		return nil, z.readErr(err)
	}
	z.inflated += int64(len(data))
	return data, nil
}

func (z *zipDoc) readErr(err error) error {
	if z.src.err != nil {
		return doctext.ReadError(z.src.err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return doctext.DamagedError(z.e.format, err)
}

// ctxReader stops reading when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// xmlReader walks an XML document's tokens, refusing nesting deeper than
// the limit.
type xmlReader struct {
	d     *xml.Decoder
	depth int
	z     *zipDoc
	n     int
}

func (z *zipDoc) xml(data []byte) *xmlReader {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		return charsetReader(label, r)
	}
	return &xmlReader{d: d, z: z}
}

// next returns the next token; io.EOF at the end.
func (x *xmlReader) next() (xml.Token, error) {
	t, err := x.d.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, doctext.DamagedError(x.z.e.format, err)
	}
	x.n++
	if x.n&4095 == 0 {
		if err := x.z.e.ctx.Err(); err != nil {
			return nil, err
		}
	}
	switch t.(type) {
	case xml.StartElement:
		x.depth++
		if x.depth > x.z.e.lim.MaxDepth {
			return nil, doctext.TooDeepError(x.z.e.format, x.z.e.lim.MaxDepth)
		}
	case xml.EndElement:
		x.depth--
	}
	return t, nil
}

// skip consumes the rest of the element just started.
func (x *xmlReader) skip() error {
	target := x.depth - 1
	for x.depth > target {
		if _, err := x.next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
	return nil
}

// attr returns an attribute's value by local name.
func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
