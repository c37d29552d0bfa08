package llama

/*
extern int chapel_kq_driver;
extern int chapel_kq_taken;
int chapel_kq_compiled(void);
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
