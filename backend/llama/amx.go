package llama

/*
extern int chapel_amx_on;
extern int chapel_amx_wide_rows;
extern int chapel_amx_wide_taken;
extern int chapel_amx_driver;
extern int chapel_amx_bf16_rows;
extern int chapel_amx_bf16_taken;
extern int chapel_amx_no_tiles;
extern int chapel_amx_q4k_taken;
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
func SetAMXWideRows(on bool) { C.chapel_amx_wide_rows, C.chapel_amx_wide_taken = cbool(on), 0 }

// AMXWideTaken reports whether, since SetAMXWideRows, AMX took a weight
// that only the wider rule gives it.
func AMXWideTaken() bool { return C.chapel_amx_wide_taken != 0 }

// SetAMXDriver chooses who drives the AMX kernels (see amx_mmq.cpp): true
// (the default) is Chapel's entry point (single rows without ggml's extra
// barrier, batches of Q4_0 and Q8_0 on the BF16 path); false is ggml's
// driver for everything. The tests compare the two.
func SetAMXDriver(chapel bool) { C.chapel_amx_driver = cbool(chapel) }

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
func SetAMX(on bool) { C.chapel_amx_on = cbool(on) }

// AMXOn reports whether AMX may take weights (SetAMX, CHAPEL_AMX=off).
func AMXOn() bool { return C.chapel_amx_on != 0 }

// AMXNoTiles reports whether the AMX engine runs without tiles
// (CHAPEL_AMX=rows, read once by Init): the AMX buffer type and its
// one-row AVX512-VNNI kernels, every batch taken row by row, so that a CPU
// without AMX (an AVX-512 one with VNNI and BF16) can run and test the AMX
// engine's path for a reply's steps. Prompts are slow there; it is for
// tests and measurements, not for use.
func AMXNoTiles() bool {
	Init()
	return C.chapel_amx_no_tiles != 0
}

func setAMXNoTiles() { C.chapel_amx_no_tiles = 1 }

// ClearAMXQ4KTaken clears what AMXQ4KTaken reports.
func ClearAMXQ4KTaken() { C.chapel_amx_q4k_taken = 0 }

// AMXQ4KTaken reports whether, since ClearAMXQ4KTaken, Chapel's one-row
// Q4_K kernel on AMX's layout ran.
func AMXQ4KTaken() bool { return C.chapel_amx_q4k_taken != 0 }

// cbool is b as C's 0 or 1.
func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
