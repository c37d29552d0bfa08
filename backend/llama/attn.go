package llama

/*
extern int chapel_kq_driver;
extern int chapel_kq_taken;
int chapel_kq_compiled(void);
extern int chapel_kqv_driver;
extern int chapel_kqv_taken;
int chapel_kqv_compiled(void);
*/
import "C"

// KQCompiled reports whether this build carries Chapel's product of Q8_0
// keys with a single query row (attn_rows.cpp; x86-64 with AVX2, Linux
// and Windows, where ggml's call to tinyBLAS is wrapped).
func KQCompiled() bool { return C.chapel_kq_compiled() != 0 }

// SetKQDriver chooses who computes a reply step's attention scores over Q8_0
// keys: true (the default) is Chapel's product, false ggml's loop of dot
// products (CHAPEL_KQ_DRIVER=ggml). It clears what KQTaken reports. The
// tests compare the two.
func SetKQDriver(chapel bool) { C.chapel_kq_driver, C.chapel_kq_taken = cbool(chapel), 0 }

// KQDriver reports whether Chapel's product is on (SetKQDriver).
func KQDriver() bool { return C.chapel_kq_driver != 0 }

// KQTaken reports whether, since SetKQDriver, Chapel's product ran.
func KQTaken() bool { return C.chapel_kq_taken != 0 }

// KQVCompiled reports whether this build carries Chapel's products of a
// single query row with F16 attention caches, the values and unquantised
// keys, each cached row read once for every query head that shares it
// (attn_f16.cpp; x86-64 with AVX2 or AVX-512, Linux and Windows, where
// ggml-cpu's hook for extra buffer types is wrapped).
func KQVCompiled() bool { return C.chapel_kqv_compiled() != 0 }

// SetKQVDriver chooses who computes those products: true (the default) is
// Chapel's, false ggml's loop of dot products (CHAPEL_KQV_DRIVER=ggml). It
// clears what KQVTaken reports. The tests compare the two.
func SetKQVDriver(chapel bool) { C.chapel_kqv_driver, C.chapel_kqv_taken = cbool(chapel), 0 }

// KQVDriver reports whether Chapel's products are on (SetKQVDriver).
func KQVDriver() bool { return C.chapel_kqv_driver != 0 }

// KQVTaken reports whether, since SetKQVDriver, Chapel's products ran.
func KQVTaken() bool { return C.chapel_kqv_taken != 0 }
