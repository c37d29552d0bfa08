package llama

/*
extern int chapel_amx_on;
extern int chapel_amx_wide_rows;
extern int chapel_amx_wide_taken;
extern int chapel_amx_driver;
extern int chapel_amx_bf16_rows;
extern int chapel_amx_bf16_taken;
int chapel_amx_compiled(void);
*/
import "C"

// AMXCompiled reports whether this build carries ggml's AMX kernels (the
// engine was compiled for a CPU level with AMX-INT8 and AVX512-VNNI).
func AMXCompiled() bool { return C.chapel_amx_compiled() != 0 }

// SetAMXWideRows chooses which weights AMX multiplies (see amx_kernels.cpp):
// true (the default) also gives it the feed-forward weights in Q4_0, Q4_1
// and Q8_0 whose rows are whole blocks; false keeps ggml's rule of rows a
// multiple of 2,048 values. It applies to models loaded afterwards, and
// clears what AMXWideTaken reports. The tests compare the two.
func SetAMXWideRows(on bool) {
	v := C.int(0)
	if on {
		v = 1
	}
	C.chapel_amx_wide_rows, C.chapel_amx_wide_taken = v, 0
}

// AMXWideTaken reports whether, since SetAMXWideRows, AMX took a weight
// that only the wider rule gives it.
func AMXWideTaken() bool { return C.chapel_amx_wide_taken != 0 }

// SetAMXDriver chooses how a multiplication on AMX is shared among the
// threads (see amx_mmq.cpp): true (the default) is Chapel's driver, every
// thread quantising its share of the input and owning a range of weight
// blocks; false is ggml's. The kernels and the results are the same; the
// tests compare the two.
func SetAMXDriver(chapel bool) {
	v := C.int(0)
	if chapel {
		v = 1
	}
	C.chapel_amx_driver = v
}

// SetAMXBF16Rows sets the smallest batch (rows of input) that takes the
// BF16 path for Q4_0 and Q8_0 weights on AMX (see amx_mmq.cpp); 0 turns it
// off, leaving ggml's int8 kernels. It clears what AMXBF16Taken reports.
func SetAMXBF16Rows(n int) {
	C.chapel_amx_bf16_rows, C.chapel_amx_bf16_taken = C.int(n), 0
}

// AMXBF16Rows is the current threshold (see SetAMXBF16Rows).
func AMXBF16Rows() int { return int(C.chapel_amx_bf16_rows) }

// AMXBF16Taken reports whether, since SetAMXBF16Rows, a multiplication
// took the BF16 path.
func AMXBF16Taken() bool { return C.chapel_amx_bf16_taken != 0 }

// SetAMX turns AMX off (false) or on for models loaded afterwards: off,
// every weight stays with the AVX-512 kernels, as on a CPU without AMX. The
// tests use it as the reference.
func SetAMX(on bool) {
	v := C.int(0)
	if on {
		v = 1
	}
	C.chapel_amx_on = v
}
