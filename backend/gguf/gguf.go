// Package gguf owns Chapel's knowledge of the GGUF file format: reading and
// checking a file's header before llama.cpp sees it (so a corrupt or hostile
// file is refused with a clear message instead of crashing the engine), and
// writing small Llama-shaped models with random weights for tests and
// benchmarks.
package gguf

import "fmt"

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// The GGUF versions Chapel (and the pinned llama.cpp) read.
const (
	MinVersion = 2
	MaxVersion = 3
)

// DefaultAlignment is the tensor data alignment when general.alignment is absent.
const DefaultAlignment = 32

// ValueType is the type tag of a metadata value.
type ValueType uint32

const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// scalarSize is the encoded size of fixed-size value types (0 for others).
func (t ValueType) scalarSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// TensorType is a ggml tensor element type.
type TensorType uint32

// The tensor types Chapel writes; the reader knows the block sizes of all
// types llama.cpp accepts.
const (
	F32  TensorType = 0
	F16  TensorType = 1
	Q4_0 TensorType = 2
	Q8_0 TensorType = 8
	BF16 TensorType = 30
)

// blockInfo gives elements per block and bytes per block of a tensor type.
var blockInfo = map[TensorType][2]int{
	0: {1, 4}, 1: {1, 2}, 2: {32, 18}, 3: {32, 20}, 6: {32, 22}, 7: {32, 24},
	8: {32, 34}, 9: {32, 36}, 10: {256, 84}, 11: {256, 110}, 12: {256, 144},
	13: {256, 176}, 14: {256, 210}, 15: {256, 292}, 16: {256, 66}, 17: {256, 74},
	18: {256, 98}, 19: {256, 50}, 20: {32, 18}, 21: {256, 110}, 22: {256, 82},
	23: {256, 136}, 24: {1, 1}, 25: {1, 2}, 26: {1, 4}, 27: {1, 8}, 28: {1, 8},
	29: {256, 56}, 30: {1, 2}, 34: {256, 54}, 35: {256, 66}, 39: {32, 17},
}

// TensorBytes returns the byte size of a tensor of type t with dims, or an
// error when the type is unknown or the shape does not fit the type's blocks.
func TensorBytes(t TensorType, dims []uint64) (uint64, error) {
	bi, ok := blockInfo[t]
	if !ok {
		return 0, fmt.Errorf("unknown tensor type %d", t)
	}
	if len(dims) == 0 {
		return 0, fmt.Errorf("tensor has no dimensions")
	}
	if dims[0]%uint64(bi[0]) != 0 {
		return 0, fmt.Errorf("row of %d elements is not a whole number of %d-element blocks", dims[0], bi[0])
	}
	n := dims[0] / uint64(bi[0]) * uint64(bi[1])
	for _, d := range dims[1:] {
		if d != 0 && n > (1<<62)/d {
			return 0, fmt.Errorf("tensor is impossibly large")
		}
		n *= d
	}
	return n, nil
}
