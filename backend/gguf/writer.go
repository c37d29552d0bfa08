package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// KV is one metadata entry to write. Value may be a Go scalar (uint8 … float64,
// bool), a string, or a slice of string, float32, int32 or uint32.
type KV struct {
	Key   string
	Value any
}

// TensorData is a tensor to write: its shape (ggml order, innermost first),
// its type and a function that writes exactly TensorBytes(Type, Dims) bytes.
type TensorData struct {
	Name  string
	Dims  []uint64
	Type  TensorType
	Write func(w io.Writer) error
}

// Write writes a GGUF v3 file to path (through a temporary file, renamed at
// the end, so a crash never leaves a half-written model behind).
func Write(path string, kvs []KV, tensors []TensorData) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gguf-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := encode(w, kvs, tensors); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func encode(w *bufio.Writer, kvs []KV, tensors []TensorData) error {
	e := &encoder{w: w}
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		e.str(kv.Key)
		if err := e.value(kv.Value); err != nil {
			return fmt.Errorf("metadata %q: %w", kv.Key, err)
		}
	}
	var off uint64
	sizes := make([]uint64, len(tensors))
	for i, t := range tensors {
		n, err := TensorBytes(t.Type, t.Dims)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		sizes[i] = n
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(off)
		off += align(n)
	}
	e.pad()
	for i, t := range tensors {
		cw := &countingWriter{w: w}
		if err := t.Write(cw); err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if cw.n != sizes[i] {
			return fmt.Errorf("tensor %q: wrote %d bytes, want %d", t.Name, cw.n, sizes[i])
		}
		e.n += cw.n
		e.pad()
	}
	return e.err
}

func align(n uint64) uint64 { return (n + DefaultAlignment - 1) / DefaultAlignment * DefaultAlignment }

type countingWriter struct {
	w io.Writer
	n uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

type encoder struct {
	w   *bufio.Writer
	n   uint64
	err error
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	_, e.err = e.w.Write(b)
	e.n += uint64(len(b))
}

func (e *encoder) pad() {
	if r := e.n % DefaultAlignment; r != 0 {
		e.raw(make([]byte, DefaultAlignment-r))
	}
}

func (e *encoder) u32(v uint32) { e.raw(binary.LittleEndian.AppendUint32(nil, v)) }
func (e *encoder) u64(v uint64) { e.raw(binary.LittleEndian.AppendUint64(nil, v)) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); e.raw([]byte(s)) }

func (e *encoder) value(v any) error {
	switch v := v.(type) {
	case uint8:
		e.u32(uint32(TypeUint8))
		e.raw([]byte{v})
	case int8:
		e.u32(uint32(TypeInt8))
		e.raw([]byte{byte(v)})
	case uint16:
		e.u32(uint32(TypeUint16))
		e.raw(binary.LittleEndian.AppendUint16(nil, v))
	case uint32:
		e.u32(uint32(TypeUint32))
		e.u32(v)
	case int32:
		e.u32(uint32(TypeInt32))
		e.u32(uint32(v))
	case float32:
		e.u32(uint32(TypeFloat32))
		e.u32(math.Float32bits(v))
	case bool:
		e.u32(uint32(TypeBool))
		b := byte(0)
		if v {
			b = 1
		}
		e.raw([]byte{b})
	case string:
		e.u32(uint32(TypeString))
		e.str(v)
	case uint64:
		e.u32(uint32(TypeUint64))
		e.u64(v)
	case int64:
		e.u32(uint32(TypeInt64))
		e.u64(uint64(v))
	case float64:
		e.u32(uint32(TypeFloat64))
		e.u64(math.Float64bits(v))
	case []string:
		e.arrayHeader(TypeString, len(v))
		for _, s := range v {
			e.str(s)
		}
	case []float32:
		e.arrayHeader(TypeFloat32, len(v))
		for _, f := range v {
			e.u32(math.Float32bits(f))
		}
	case []int32:
		e.arrayHeader(TypeInt32, len(v))
		for _, i := range v {
			e.u32(uint32(i))
		}
	case []uint32:
		e.arrayHeader(TypeUint32, len(v))
		for _, i := range v {
			e.u32(i)
		}
	default:
		return fmt.Errorf("cannot encode %T", v)
	}
	return nil
}

func (e *encoder) arrayHeader(t ValueType, n int) {
	e.u32(uint32(TypeArray))
	e.u32(uint32(t))
	e.u64(uint64(n))
}
