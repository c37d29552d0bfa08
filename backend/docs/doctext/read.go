package doctext

import (
	"errors"
	"fmt"
	"io"
)

// SizeError refuses a file of a format read whole when it is larger than
// lim.MaxInflated; the zip-based formats (DOCX, ODT, EPUB), whose entries
// are inflated one at a time, are never refused for their size alone.
func SizeError(f Format, size int64, lim Limits) error {
	switch f {
	case DOCX, ODT, EPUB:
		return nil
	}
	if size > lim.MaxInflated {
		return &Error{Kind: TooLarge, Msg: fmt.Sprintf("this %s is larger than %d MB; Chapel stops there", FormatNoun(f), lim.MaxInflated>>20)}
	}
	return nil
}

// ReadAll reads a whole file of format f no larger than lim.MaxInflated.
func ReadAll(r io.ReaderAt, size int64, lim Limits, f Format) ([]byte, error) {
	if err := SizeError(f, size, lim); err != nil {
		return nil, err
	}
	data := make([]byte, size)
	n, err := r.ReadAt(data, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, ReadError(err)
	}
	return data, nil
}

// ErrBudget is a decoder's output growing past the budget it was given.
var ErrBudget = errors.New("decoded data exceeds the limit")

// smallOutput is how much a decoder collects in one pass; a larger output
// is counted first and then decoded again into a buffer of its exact size,
// so a bomb costs no memory and a big stream no more than its size.
const smallOutput = 512 << 10

// Sink collects a decoder's output up to limit bytes, and counts all of it
// against budget. Past limit it only counts.
type Sink struct {
	buf      []byte
	n        int64
	limit    int64
	budget   int64
	overflow bool
}

// Write collects p, or fails with ErrBudget once the output so far
// exceeds the budget.
func (s *Sink) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if s.n > s.budget {
		return 0, ErrBudget
	}
	if !s.overflow {
		need := int64(len(s.buf) + len(p))
		switch {
		case need > s.limit:
			s.overflow, s.buf = true, nil
		case need > int64(cap(s.buf)):
			// Double, not append's gentler growth: fewer, smaller copies.
			grown := make([]byte, len(s.buf), min(max(2*int64(cap(s.buf)), need, 4096), s.limit))
			copy(grown, s.buf)
			s.buf = append(grown, p...)
		default:
			s.buf = append(s.buf, p...)
		}
	}
	return len(p), nil
}

// Written is how many bytes were written so far, collected or only counted.
func (s *Sink) Written() int64 { return s.n }

// DecodeSized runs decode (which must give the same bytes each time it
// runs) into a Sink: an output over smallOutput is decoded a second time
// into a buffer allocated once at its size. ErrBudget when the output
// would exceed budget; otherwise what was decoded, with decode's error.
func DecodeSized(budget int64, decode func(w *Sink) error) ([]byte, error) {
	w := &Sink{limit: smallOutput, budget: budget}
	err := decode(w)
	if errors.Is(err, ErrBudget) {
		return nil, ErrBudget
	}
	if !w.overflow {
		return w.buf, err
	}
	w = &Sink{buf: make([]byte, 0, w.n), limit: w.n, budget: w.n}
	err = decode(w)
	if errors.Is(err, ErrBudget) {
		err = nil // stopped at the size counted before: the same output
	}
	return w.buf, err
}
