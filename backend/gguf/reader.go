package gguf

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// Limits that keep a hostile header from making the reader allocate or loop
// without bound. Real models stay far below them.
const (
	maxKV          = 1 << 16
	maxTensors     = 1 << 20
	maxStringLen   = 1 << 26 // 64 MiB (chat templates and merges are large)
	maxArrayLen    = 1 << 24
	maxDims        = 4
	maxHeaderBytes = 1 << 31
)

// Tensor describes one tensor in the file.
type Tensor struct {
	Name   string
	Dims   []uint64
	Type   TensorType
	Offset uint64 // relative to the start of tensor data
	Size   uint64
}

// File is a checked GGUF header. Arrays are not kept, only their lengths,
// except for the string values needed to describe the model.
type File struct {
	Version    uint32
	Metadata   map[string]any // scalars and strings; arrays as ArrayInfo
	Tensors    []Tensor
	Alignment  uint64
	DataOffset uint64 // where tensor data starts
	FileSize   int64
}

// ArrayInfo stands for an array value in File.Metadata.
type ArrayInfo struct {
	Type ValueType
	Len  uint64
}

// FormatError says why a file is not a usable GGUF model.
type FormatError struct{ Reason string }

func (e *FormatError) Error() string { return e.Reason }

func bad(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

// preamble is what a GGUF header says before its metadata.
type preamble struct {
	version       uint32
	nTensors, nKV uint64
}

// readPreamble reads and checks the magic, version and counts that open a
// GGUF header, and returns the reader positioned at the first metadata key.
func readPreamble(r io.Reader, size int64) (*reader, preamble, error) {
	rd := &reader{r: bufio.NewReaderSize(r, 1<<16), limit: min(size, maxHeaderBytes)}
	var h preamble
	magic := make([]byte, 4)
	if err := rd.full(magic); err != nil {
		return nil, h, bad("the file is empty or too short to be a GGUF model")
	}
	if string(magic) != Magic {
		return nil, h, bad("it is not a GGUF file")
	}
	var err error
	if h.version, err = rd.u32(); err != nil {
		return nil, h, err
	}
	if h.version < MinVersion || h.version > MaxVersion {
		return nil, h, bad("GGUF version %d is not supported (Chapel reads versions %d to %d)", h.version, MinVersion, MaxVersion)
	}
	if h.nTensors, err = rd.u64(); err != nil {
		return nil, h, err
	}
	if h.nKV, err = rd.u64(); err != nil {
		return nil, h, err
	}
	if h.nTensors > maxTensors || h.nKV > maxKV {
		return nil, h, bad("the header claims %d tensors and %d metadata entries, which is not plausible", h.nTensors, h.nKV)
	}
	return rd, h, nil
}

// ReadFile opens path and checks its header.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, bad("it is a folder, not a file")
	}
	return Read(f, st.Size())
}

// Read checks a GGUF header from r, a file of size bytes: magic, version,
// counts, string and array lengths, tensor types, shapes, and that every
// tensor lies inside the file without overlapping another.
func Read(r io.Reader, size int64) (*File, error) {
	rd, h, err := readPreamble(r, size)
	if err != nil {
		return nil, err
	}
	f := &File{Metadata: map[string]any{}, Alignment: DefaultAlignment, FileSize: size, Version: h.version}
	nTensors, nKV := h.nTensors, h.nKV
	for i := uint64(0); i < nKV; i++ {
		key, err := rd.str()
		if err != nil {
			return nil, err
		}
		t, err := rd.u32()
		if err != nil {
			return nil, err
		}
		v, err := rd.value(ValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		if _, dup := f.Metadata[key]; dup {
			return nil, bad("metadata key %q appears twice", key)
		}
		f.Metadata[key] = v
	}
	if a, ok := f.Metadata["general.alignment"]; ok {
		al, ok := a.(uint32)
		if !ok || al == 0 || al&(al-1) != 0 || al > 1<<16 {
			return nil, bad("general.alignment must be a power of two")
		}
		f.Alignment = uint64(al)
	}
	names := make(map[string]bool, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		t, err := rd.tensor()
		if err != nil {
			return nil, err
		}
		if names[t.Name] {
			return nil, bad("tensor %q appears twice", t.Name)
		}
		names[t.Name] = true
		if t.Offset%f.Alignment != 0 {
			return nil, bad("tensor %q is not aligned", t.Name)
		}
		f.Tensors = append(f.Tensors, t)
	}
	f.DataOffset = (uint64(rd.n) + f.Alignment - 1) / f.Alignment * f.Alignment
	return f, f.checkExtents()
}

// checkExtents makes sure every tensor lies inside the file and none overlap.
func (f *File) checkExtents() error {
	sorted := slices.Clone(f.Tensors)
	slices.SortFunc(sorted, func(a, b Tensor) int { return cmp.Compare(a.Offset, b.Offset) })
	var end uint64
	for _, t := range sorted {
		if t.Offset < end {
			return bad("tensor %q overlaps the tensor before it", t.Name)
		}
		end = t.Offset + t.Size
		if f.DataOffset+end > uint64(f.FileSize) {
			return bad("the file is truncated: tensor %q ends at byte %d but the file has %d bytes", t.Name, f.DataOffset+end, f.FileSize)
		}
	}
	return nil
}

// String returns a string metadata value.
func (f *File) String(key string) (string, bool) {
	s, ok := f.Metadata[key].(string)
	return s, ok
}

// Uint returns an unsigned integer metadata value of any width.
func (f *File) Uint(key string) (uint64, bool) {
	switch v := f.Metadata[key].(type) {
	case uint8:
		return uint64(v), true
	case uint16:
		return uint64(v), true
	case uint32:
		return uint64(v), true
	case uint64:
		return v, true
	case int32:
		return uint64(v), v >= 0
	case int64:
		return uint64(v), v >= 0
	}
	return 0, false
}

// TensorDataBytes is the total size of all tensors.
func (f *File) TensorDataBytes() uint64 {
	var n uint64
	for _, t := range f.Tensors {
		n += t.Size
	}
	return n
}

type reader struct {
	r     *bufio.Reader
	n     int64
	limit int64
	buf   [8]byte
}

func (r *reader) full(b []byte) error {
	if r.n+int64(len(b)) > r.limit {
		return bad("the file is truncated inside its header")
	}
	if _, err := io.ReadFull(r.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return bad("the file is truncated inside its header")
		}
		return err
	}
	r.n += int64(len(b))
	return nil
}

func (r *reader) skip(n uint64) error {
	if r.n+int64(n) > r.limit || n > uint64(r.limit) {
		return bad("the file is truncated inside its header")
	}
	d, err := r.r.Discard(int(n))
	r.n += int64(d)
	if err != nil {
		return bad("the file is truncated inside its header")
	}
	return nil
}

func (r *reader) u32() (uint32, error) {
	if err := r.full(r.buf[:4]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(r.buf[:4]), nil
}

func (r *reader) u64() (uint64, error) {
	if err := r.full(r.buf[:8]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(r.buf[:8]), nil
}

func (r *reader) str() (string, error) {
	n, err := r.u64()
	if err != nil {
		return "", err
	}
	if n > maxStringLen {
		return "", bad("a string of %d bytes in the header is not plausible", n)
	}
	b := make([]byte, n)
	if err := r.full(b); err != nil {
		return "", err
	}
	return string(b), nil
}

func (r *reader) value(t ValueType, depth int) (any, error) {
	if t == TypeString {
		return r.str()
	}
	if t == TypeArray {
		if depth > 0 {
			return nil, bad("nested arrays are not supported")
		}
		et, err := r.u32()
		if err != nil {
			return nil, err
		}
		n, err := r.u64()
		if err != nil {
			return nil, err
		}
		if n > maxArrayLen {
			return nil, bad("an array of %d entries is not plausible", n)
		}
		elem := ValueType(et)
		if sz := elem.scalarSize(); sz > 0 {
			return ArrayInfo{Type: elem, Len: n}, r.skip(n * uint64(sz))
		}
		if elem != TypeString {
			return nil, bad("array of unknown type %d", et)
		}
		for i := uint64(0); i < n; i++ {
			l, err := r.u64()
			if err != nil {
				return nil, err
			}
			if l > maxStringLen {
				return nil, bad("a string of %d bytes in the header is not plausible", l)
			}
			if err := r.skip(l); err != nil {
				return nil, err
			}
		}
		return ArrayInfo{Type: elem, Len: n}, nil
	}
	sz := t.scalarSize()
	if sz == 0 {
		return nil, bad("unknown value type %d", t)
	}
	if err := r.full(r.buf[:sz]); err != nil {
		return nil, err
	}
	b := r.buf[:sz]
	switch t {
	case TypeUint8:
		return b[0], nil
	case TypeInt8:
		return int8(b[0]), nil
	case TypeBool:
		if b[0] > 1 {
			return nil, bad("a boolean must be 0 or 1")
		}
		return b[0] == 1, nil
	case TypeUint16:
		return binary.LittleEndian.Uint16(b), nil
	case TypeInt16:
		return int16(binary.LittleEndian.Uint16(b)), nil
	case TypeUint32:
		return binary.LittleEndian.Uint32(b), nil
	case TypeInt32:
		return int32(binary.LittleEndian.Uint32(b)), nil
	case TypeFloat32:
		return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
	case TypeUint64:
		return binary.LittleEndian.Uint64(b), nil
	case TypeInt64:
		return int64(binary.LittleEndian.Uint64(b)), nil
	default: // TypeFloat64
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	}
}

func (r *reader) tensor() (Tensor, error) {
	name, err := r.str()
	if err != nil {
		return Tensor{}, err
	}
	if len(name) == 0 || len(name) > 256 {
		return Tensor{}, bad("a tensor name of %d bytes is not valid", len(name))
	}
	nd, err := r.u32()
	if err != nil {
		return Tensor{}, err
	}
	if nd == 0 || nd > maxDims {
		return Tensor{}, bad("tensor %q has %d dimensions", name, nd)
	}
	t := Tensor{Name: name, Dims: make([]uint64, nd)}
	for i := range t.Dims {
		if t.Dims[i], err = r.u64(); err != nil {
			return Tensor{}, err
		}
		if t.Dims[i] == 0 || t.Dims[i] > 1<<40 {
			return Tensor{}, bad("tensor %q has an invalid dimension %d", name, t.Dims[i])
		}
	}
	typ, err := r.u32()
	if err != nil {
		return Tensor{}, err
	}
	t.Type = TensorType(typ)
	if t.Size, err = TensorBytes(t.Type, t.Dims); err != nil {
		return Tensor{}, bad("tensor %q: %v", name, err)
	}
	if t.Offset, err = r.u64(); err != nil {
		return Tensor{}, err
	}
	if t.Offset > 1<<50 {
		return Tensor{}, bad("tensor %q has an invalid offset", name)
	}
	return t, nil
}
