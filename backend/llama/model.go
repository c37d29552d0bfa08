package llama

/*
#include <stdlib.h>
#include "llama.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Token is a vocabulary id.
type Token int32

// ModelParams control loading.
type ModelParams struct {
	VocabOnly bool // load the vocabulary, not the weights
	NoMmap    bool // read the file instead of mapping it
}

// Model is a loaded GGUF model. Close frees it.
type Model struct {
	p     *C.struct_llama_model
	vocab *C.struct_llama_vocab
}

// LoadModel loads the model at path.
func LoadModel(path string, params ModelParams) (*Model, error) {
	Init()
	mp := C.llama_model_default_params()
	mp.n_gpu_layers = 999 // offload everything where a GPU backend exists (Metal); ignored on CPU
	mp.vocab_only = C.bool(params.VocabOnly)
	mp.use_mmap = C.bool(!params.NoMmap)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	clearError()
	p := C.llama_model_load_from_file(cpath, mp)
	if p == nil {
		if msg := lastError(); msg != "" {
			return nil, fmt.Errorf("llama.cpp could not load the model: %s", msg)
		}
		return nil, errors.New("llama.cpp could not load the model")
	}
	return &Model{p: p, vocab: C.llama_model_get_vocab(p)}, nil
}

// Close frees the model. It is safe to call twice.
func (m *Model) Close() {
	if m == nil || m.p == nil {
		return
	}
	C.llama_model_free(m.p)
	m.p, m.vocab = nil, nil
}

// ChatTemplate returns the model's default chat template, or "" if it has none.
func (m *Model) ChatTemplate() string {
	t := C.llama_model_chat_template(m.p, nil)
	if t == nil {
		return ""
	}
	return C.GoString(t)
}

// Desc is llama.cpp's one-line description (architecture, size, type).
func (m *Model) Desc() string {
	buf := make([]byte, 256)
	n := C.llama_model_desc(m.p, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	if n < 0 {
		return ""
	}
	return string(buf[:min(int(n), len(buf)-1)])
}

// Meta returns a metadata value by key, such as "general.name".
func (m *Model) Meta(key string) (string, bool) {
	ckey := C.CString(key)
	defer C.free(unsafe.Pointer(ckey))
	buf := make([]byte, 1024)
	n := C.llama_model_meta_val_str(m.p, ckey, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	if n < 0 {
		return "", false
	}
	if int(n) >= len(buf) {
		buf = make([]byte, int(n)+1)
		n = C.llama_model_meta_val_str(m.p, ckey, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	}
	return string(buf[:n]), true
}

// Size is the total size of the weights in bytes.
func (m *Model) Size() uint64 { return uint64(C.llama_model_size(m.p)) }

// NParams is the number of parameters.
func (m *Model) NParams() uint64 { return uint64(C.llama_model_n_params(m.p)) }

// NCtxTrain is the context length the model was trained with.
func (m *Model) NCtxTrain() int { return int(C.llama_model_n_ctx_train(m.p)) }

// NVocab is the vocabulary size.
func (m *Model) NVocab() int { return int(C.llama_vocab_n_tokens(m.vocab)) }

// IsEOG reports whether tok ends generation (end of turn or of text).
func (m *Model) IsEOG(tok Token) bool { return bool(C.llama_vocab_is_eog(m.vocab, C.llama_token(tok))) }

// BOS is the beginning-of-sequence token.
func (m *Model) BOS() Token { return Token(C.llama_vocab_bos(m.vocab)) }

// Tokenize turns text into tokens. addSpecial adds BOS/EOS where the model
// wants them; parseSpecial turns control-token text (as written by a chat
// template) into control tokens.
func (m *Model) Tokenize(text string, addSpecial, parseSpecial bool) ([]Token, error) {
	if len(text) > 1<<30 {
		return nil, errors.New("text too long to tokenize")
	}
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	n := len(text) + 2
	for range 2 {
		toks := make([]Token, n)
		var first *C.llama_token
		if n > 0 {
			first = (*C.llama_token)(unsafe.Pointer(&toks[0]))
		}
		got := int(C.llama_tokenize(m.vocab, ctext, C.int32_t(len(text)), first, C.int32_t(n), C.bool(addSpecial), C.bool(parseSpecial)))
		if got >= 0 {
			return toks[:got], nil
		}
		if got == -(1 << 31) {
			return nil, errors.New("tokenization overflowed")
		}
		n = -got
	}
	return nil, errors.New("tokenization failed")
}

// TokenBytes returns the bytes of tok's piece. A piece can be part of a
// multi-byte UTF-8 character; the caller joins pieces before decoding.
// special renders control tokens as text.
func (m *Model) TokenBytes(tok Token, special bool) []byte {
	var small [64]byte
	buf := small[:]
	n := C.llama_token_to_piece(m.vocab, C.llama_token(tok), (*C.char)(unsafe.Pointer(&buf[0])), C.int32_t(len(buf)), 0, C.bool(special))
	if n < 0 {
		buf = make([]byte, int(-n))
		n = C.llama_token_to_piece(m.vocab, C.llama_token(tok), (*C.char)(unsafe.Pointer(&buf[0])), C.int32_t(len(buf)), 0, C.bool(special))
		if n < 0 {
			return nil
		}
	}
	out := make([]byte, n)
	copy(out, buf[:n])
	return out
}

// ChatMessage is one message for ApplyChatTemplate.
type ChatMessage struct {
	Role    string
	Content string
}

// ApplyChatTemplate formats msgs with template tmpl (a model's template, as
// returned by ChatTemplate). addAssistant ends the prompt with the opening of
// the assistant's turn.
func ApplyChatTemplate(tmpl string, msgs []ChatMessage, addAssistant bool) (string, error) {
	if len(msgs) == 0 {
		return "", errors.New("no messages to format")
	}
	ctmpl := C.CString(tmpl)
	defer C.free(unsafe.Pointer(ctmpl))
	cmsgs := (*[1 << 20]C.struct_llama_chat_message)(C.malloc(C.size_t(len(msgs)) * C.size_t(unsafe.Sizeof(C.struct_llama_chat_message{}))))[:len(msgs):len(msgs)]
	defer C.free(unsafe.Pointer(&cmsgs[0]))
	total := 0
	for i, msg := range msgs {
		cmsgs[i].role = C.CString(msg.Role)
		cmsgs[i].content = C.CString(msg.Content)
		total += len(msg.Role) + len(msg.Content)
	}
	defer func() {
		for i := range cmsgs {
			C.free(unsafe.Pointer(cmsgs[i].role))
			C.free(unsafe.Pointer(cmsgs[i].content))
		}
	}()
	size := 2*total + 1024
	for range 2 {
		buf := C.malloc(C.size_t(size))
		n := int(C.llama_chat_apply_template(ctmpl, &cmsgs[0], C.size_t(len(msgs)), C.bool(addAssistant), (*C.char)(buf), C.int32_t(size)))
		if n < 0 {
			C.free(buf)
			return "", errors.New("the model's chat template is not one llama.cpp supports")
		}
		if n <= size {
			s := C.GoStringN((*C.char)(buf), C.int(n))
			C.free(buf)
			return s, nil
		}
		C.free(buf)
		size = n + 1
	}
	return "", errors.New("chat template output kept growing")
}
