package llama

/*
#include "llama.h"
*/
import "C"

import "math"

// SamplerParams configure a sampler chain.
type SamplerParams struct {
	Temperature   float32 // <= 0: greedy
	TopK          int     // <= 0: off
	TopP          float32 // >= 1: off
	MinP          float32 // <= 0: off
	RepeatPenalty float32 // 1: off
	RepeatLastN   int
	Seed          uint32
	Banned        []Token // tokens that are never sampled
	NVocab        int     // vocabulary size, needed with Banned
}

// Sampler is a llama.cpp sampler chain. Close frees it.
type Sampler struct {
	p *C.struct_llama_sampler
}

// NewSampler builds the chain: penalties, top-k, top-p, min-p, temperature,
// then a seeded draw (or greedy when the temperature is zero).
func NewSampler(p SamplerParams) *Sampler {
	Init()
	sp := C.llama_sampler_chain_default_params()
	sp.no_perf = C.bool(true)
	chain := C.llama_sampler_chain_init(sp)
	if len(p.Banned) > 0 && p.NVocab > 0 {
		bias := make([]C.llama_logit_bias, len(p.Banned))
		for i, t := range p.Banned {
			bias[i] = C.llama_logit_bias{token: C.llama_token(t), bias: C.float(math.Inf(-1))}
		}
		// llama.cpp copies the biases.
		C.llama_sampler_chain_add(chain, C.llama_sampler_init_logit_bias(C.int32_t(p.NVocab), C.int32_t(len(bias)), &bias[0]))
	}
	if p.RepeatPenalty > 0 && p.RepeatPenalty != 1 && p.RepeatLastN != 0 {
		C.llama_sampler_chain_add(chain, C.llama_sampler_init_penalties(C.int32_t(p.RepeatLastN), C.float(p.RepeatPenalty), 0, 0))
	}
	if p.Temperature <= 0 {
		C.llama_sampler_chain_add(chain, C.llama_sampler_init_greedy())
		return &Sampler{p: chain}
	}
	if p.TopK > 0 {
		C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_k(C.int32_t(p.TopK)))
	}
	if p.TopP > 0 && p.TopP < 1 {
		C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_p(C.float(p.TopP), 1))
	}
	if p.MinP > 0 {
		C.llama_sampler_chain_add(chain, C.llama_sampler_init_min_p(C.float(p.MinP), 1))
	}
	C.llama_sampler_chain_add(chain, C.llama_sampler_init_temp(C.float(p.Temperature)))
	C.llama_sampler_chain_add(chain, C.llama_sampler_init_dist(C.uint32_t(p.Seed)))
	return &Sampler{p: chain}
}

// Close frees the sampler.
func (s *Sampler) Close() {
	if s == nil || s.p == nil {
		return
	}
	C.llama_sampler_free(s.p)
	s.p = nil
}

// Sample picks the next token from the logits of batch index idx and
// accepts it into the chain's history (for the repeat penalty).
func (s *Sampler) Sample(c *Context, idx int) Token {
	return Token(C.llama_sampler_sample(s.p, c.p, C.int32_t(idx)))
}

// Accept records tok in the chain's history without sampling (used for the
// prompt, so penalties see it).
func (s *Sampler) Accept(tok Token) { C.llama_sampler_accept(s.p, C.llama_token(tok)) }

// Reset forgets the chain's history.
func (s *Sampler) Reset() { C.llama_sampler_reset(s.p) }
