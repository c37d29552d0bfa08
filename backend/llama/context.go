package llama

/*
#include <stdlib.h>
#include "llama.h"

// The abort flag lives in C memory; llama_decode polls it between graph
// nodes, so a cancel stops even a long prompt pass quickly.
static bool chapel_abort_cb(void * data) { return __atomic_load_n((int *)data, __ATOMIC_RELAXED) != 0; }
static void chapel_set_abort(int * flag, int v) { __atomic_store_n(flag, v, __ATOMIC_RELAXED); }
static void chapel_ctx_set_abort(struct llama_context_params * p, int * flag) {
	p->abort_callback = chapel_abort_cb;
	p->abort_callback_data = flag;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// ContextParams size a context.
type ContextParams struct {
	NCtx         int  // total KV cells (all sequences share them)
	NBatch       int  // most tokens one Decode accepts
	NUBatch      int  // physical batch; 0 = NBatch
	NSeqMax      int  // parallel sequences; 0 = 1
	Threads      int  // threads for generation
	ThreadsBatch int  // threads for prompt processing; 0 = Threads
	FlashAttn    bool // flash attention
	QuantizedK   bool // keys in the KV cache as Q8_0 instead of F16
	KVUnified    bool // all sequences share one pool of KV cells (each may use the whole context)
}

// Context is a llama.cpp context: KV cache and compute state. It is not safe
// for concurrent use; one goroutine owns it. Close frees it.
type Context struct {
	p     *C.struct_llama_context
	abort *C.int
	model *Model
}

// ErrAborted is returned by Decode when SetAbort interrupted it.
var ErrAborted = errors.New("decode aborted")

// ErrNoKVSlot is returned by Decode when the context has no room for the batch.
var ErrNoKVSlot = errors.New("the context is full")

// NewContext makes a context for m.
func NewContext(m *Model, params ContextParams) (*Context, error) {
	if m == nil || m.p == nil {
		return nil, errors.New("model is closed")
	}
	cp := C.llama_context_default_params()
	cp.n_ctx = C.uint32_t(params.NCtx)
	cp.n_batch = C.uint32_t(params.NBatch)
	cp.n_ubatch = C.uint32_t(params.NUBatch)
	if params.NUBatch == 0 {
		cp.n_ubatch = C.uint32_t(params.NBatch)
	}
	cp.n_seq_max = C.uint32_t(max(1, params.NSeqMax))
	cp.n_threads = C.int32_t(params.Threads)
	cp.n_threads_batch = C.int32_t(params.ThreadsBatch)
	if params.ThreadsBatch == 0 {
		cp.n_threads_batch = C.int32_t(params.Threads)
	}
	if params.FlashAttn {
		cp.flash_attn_type = C.LLAMA_FLASH_ATTN_TYPE_ENABLED
	} else {
		cp.flash_attn_type = C.LLAMA_FLASH_ATTN_TYPE_DISABLED
	}
	if params.QuantizedK {
		cp.type_k = C.GGML_TYPE_Q8_0
	}
	cp.no_perf = C.bool(true)
	cp.kv_unified = C.bool(params.KVUnified)
	abort := (*C.int)(C.calloc(1, C.size_t(unsafe.Sizeof(C.int(0)))))
	C.chapel_ctx_set_abort(&cp, abort)
	clearError()
	p := C.llama_init_from_model(m.p, cp)
	if p == nil {
		C.free(unsafe.Pointer(abort))
		if msg := lastError(); msg != "" {
			return nil, fmt.Errorf("llama.cpp could not create a context: %s", msg)
		}
		return nil, errors.New("llama.cpp could not create a context")
	}
	return &Context{p: p, abort: abort, model: m}, nil
}

// Close frees the context. It is safe to call twice.
func (c *Context) Close() {
	if c == nil || c.p == nil {
		return
	}
	C.llama_free(c.p)
	C.free(unsafe.Pointer(c.abort))
	c.p, c.abort = nil, nil
}

// NCtx is the number of KV cells.
func (c *Context) NCtx() int { return int(C.llama_n_ctx(c.p)) }

// NCtxSeq is the number of KV cells one sequence may use.
func (c *Context) NCtxSeq() int { return int(C.llama_n_ctx_seq(c.p)) }

// SetThreads changes the threads used for single-token steps (n) and for
// prompt batches (nBatch) from the next Decode on.
func (c *Context) SetThreads(n, nBatch int) {
	C.llama_set_n_threads(c.p, C.int32_t(max(1, n)), C.int32_t(max(1, nBatch)))
}

// SetAbort sets or clears the abort flag. It may be called from any goroutine.
func (c *Context) SetAbort(on bool) {
	v := 0
	if on {
		v = 1
	}
	C.chapel_set_abort(c.abort, C.int(v))
}

// Decode runs the model over b.
func (c *Context) Decode(b *Batch) error {
	if b.b.n_tokens == 0 {
		return nil
	}
	rc := C.llama_decode(c.p, b.b)
	switch {
	case rc == 0:
		return nil
	case rc == 1:
		return ErrNoKVSlot
	case rc == 2:
		return ErrAborted
	case rc == -1:
		return errors.New("llama_decode: invalid batch")
	default:
		return fmt.Errorf("llama_decode failed (code %d)", int(rc))
	}
}

// Logits returns a copy of the logits of the i-th token of the last decoded
// batch that asked for them (i < 0: counted from the end).
func (c *Context) Logits(i int) ([]float32, error) {
	p := C.llama_get_logits_ith(c.p, C.int32_t(i))
	if p == nil {
		return nil, fmt.Errorf("no logits for batch position %d", i)
	}
	n := c.model.NVocab()
	return append([]float32(nil), unsafe.Slice((*float32)(unsafe.Pointer(p)), n)...), nil
}

// SeqRemove drops positions [p0, p1) of seq from the KV cache (p1 < 0: to
// the end; seq < 0: all sequences). It reports false when the cache cannot
// remove a partial range (then clear the sequence instead).
func (c *Context) SeqRemove(seq, p0, p1 int) bool {
	return bool(C.llama_memory_seq_rm(C.llama_get_memory(c.p), C.llama_seq_id(seq), C.llama_pos(p0), C.llama_pos(p1)))
}

// SeqShift moves positions [p0, p1) of seq by delta (p1 < 0: to the end).
// Context shifting uses it after dropping old tokens; check CanShift first.
func (c *Context) SeqShift(seq, p0, p1, delta int) {
	C.llama_memory_seq_add(C.llama_get_memory(c.p), C.llama_seq_id(seq), C.llama_pos(p0), C.llama_pos(p1), C.llama_pos(delta))
}

// CanShift reports whether the KV cache supports SeqShift.
func (c *Context) CanShift() bool { return bool(C.llama_memory_can_shift(C.llama_get_memory(c.p))) }

// SeqPosMax is the largest position stored for seq, or -1 when it is empty.
func (c *Context) SeqPosMax(seq int) int {
	return int(C.llama_memory_seq_pos_max(C.llama_get_memory(c.p), C.llama_seq_id(seq)))
}

// ClearMemory empties the KV cache.
func (c *Context) ClearMemory() { C.llama_memory_clear(C.llama_get_memory(c.p), C.bool(true)) }

// Batch is a reusable batch of tokens for Decode. Close frees it.
type Batch struct {
	b      C.struct_llama_batch
	cap    int
	seqMax int
	tokens []C.llama_token
	pos    []C.llama_pos
	nSeqID []C.int32_t
	seqIDs []*C.llama_seq_id
	logits []C.int8_t
}

// NewBatch allocates a batch of up to capacity tokens, each in up to seqMax sequences.
func NewBatch(capacity, seqMax int) *Batch {
	b := &Batch{b: C.llama_batch_init(C.int32_t(capacity), 0, C.int32_t(seqMax)), cap: capacity, seqMax: seqMax}
	b.tokens = unsafe.Slice(b.b.token, capacity)
	b.pos = unsafe.Slice(b.b.pos, capacity)
	b.nSeqID = unsafe.Slice(b.b.n_seq_id, capacity)
	b.seqIDs = unsafe.Slice(b.b.seq_id, capacity)
	b.logits = unsafe.Slice(b.b.logits, capacity)
	b.b.n_tokens = 0
	return b
}

// Close frees the batch.
func (b *Batch) Close() {
	if b == nil || b.cap == 0 {
		return
	}
	C.llama_batch_free(b.b)
	b.cap = 0
}

// Clear empties the batch for reuse.
func (b *Batch) Clear() { b.b.n_tokens = 0 }

// Len is the number of tokens in the batch.
func (b *Batch) Len() int { return int(b.b.n_tokens) }

// Cap is the batch's capacity.
func (b *Batch) Cap() int { return b.cap }

// Add appends tok at position pos of sequence seq; logits asks for its
// output (the index to sample from is the token's index in the batch).
func (b *Batch) Add(tok Token, pos int, seq int, logits bool) error {
	i := int(b.b.n_tokens)
	if i >= b.cap {
		return errors.New("batch is full")
	}
	b.tokens[i] = C.llama_token(tok)
	b.pos[i] = C.llama_pos(pos)
	b.nSeqID[i] = 1
	unsafe.Slice(b.seqIDs[i], b.seqMax)[0] = C.llama_seq_id(seq)
	if logits {
		b.logits[i] = 1
	} else {
		b.logits[i] = 0
	}
	b.b.n_tokens++
	return nil
}
