package llama

/*
#include <stdlib.h>
#include "llama.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// FileType is a llama.cpp model file type (the weights' main type).
type FileType int

// The file types Chapel writes.
const (
	FileTypeF32  FileType = C.LLAMA_FTYPE_ALL_F32
	FileTypeF16  FileType = C.LLAMA_FTYPE_MOSTLY_F16
	FileTypeQ4_0 FileType = C.LLAMA_FTYPE_MOSTLY_Q4_0
	FileTypeQ8_0 FileType = C.LLAMA_FTYPE_MOSTLY_Q8_0
	// FileTypeQ4_K_M: the type of the catalog's chat models.
	FileTypeQ4_K_M FileType = C.LLAMA_FTYPE_MOSTLY_Q4_K_M
)

// Quantize converts the model at in to file type ft, written to out, with
// llama.cpp's own quantizer.
func Quantize(in, out string, ft FileType, threads int) error {
	Init()
	cin := C.CString(in)
	defer C.free(unsafe.Pointer(cin))
	cout := C.CString(out)
	defer C.free(unsafe.Pointer(cout))
	p := C.llama_model_quantize_default_params()
	p.nthread = C.int32_t(threads)
	p.ftype = C.enum_llama_ftype(ft)
	clearError()
	if rc := C.llama_model_quantize(cin, cout, &p); rc != 0 {
		if msg := lastError(); msg != "" {
			return fmt.Errorf("quantize: %s", msg)
		}
		return fmt.Errorf("quantize failed (code %d)", int(rc))
	}
	return nil
}
