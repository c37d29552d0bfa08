package llama

/*
#include <stdlib.h>
#include "llama.h"
*/
import "C"

// EOS is the end-of-sequence token, or -1 when the model has none.
func (m *Model) EOS() Token { return Token(C.llama_vocab_eos(m.vocab)) }

// AddsBOS reports whether tokenizing with addSpecial puts the BOS token
// in front (the model's tokenizer.ggml.add_bos_token).
func (m *Model) AddsBOS() bool { return bool(C.llama_vocab_get_add_bos(m.vocab)) }

// TokenText is the vocabulary's text for tok, such as "<|begin_of_text|>"
// for a control token; "" for a token the model does not have (-1).
func (m *Model) TokenText(tok Token) string {
	if tok < 0 || int(tok) >= m.NVocab() {
		return ""
	}
	t := C.llama_vocab_get_text(m.vocab, C.llama_token(tok))
	if t == nil {
		return ""
	}
	return C.GoString(t)
}
