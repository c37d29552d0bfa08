package gguf

import (
	"bufio"
	"os"
)

// TokenTexts returns the vocabulary texts (tokenizer.ggml.tokens) of the
// given token ids in the GGUF file at path, such as the BOS token's
// "<|begin_of_text|>"; "" for an id the vocabulary does not have. Only
// these strings are kept while the header is read again.
func TokenTexts(path string, ids ...uint64) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	rd := &reader{r: bufio.NewReaderSize(f, 1<<16), limit: min(st.Size(), maxHeaderBytes)}
	magic := make([]byte, 4)
	if err := rd.full(magic); err != nil || string(magic) != Magic {
		return nil, bad("it is not a GGUF file")
	}
	if _, err := rd.u32(); err != nil { // version, checked by Read
		return nil, err
	}
	if _, err := rd.u64(); err != nil { // tensor count
		return nil, err
	}
	nKV, err := rd.u64()
	if err != nil {
		return nil, err
	}
	if nKV > maxKV {
		return nil, bad("the header claims %d metadata entries, which is not plausible", nKV)
	}
	out := make([]string, len(ids))
	for i := uint64(0); i < nKV; i++ {
		key, err := rd.str()
		if err != nil {
			return nil, err
		}
		t, err := rd.u32()
		if err != nil {
			return nil, err
		}
		if key != "tokenizer.ggml.tokens" || ValueType(t) != TypeArray {
			if _, err := rd.value(ValueType(t), 0); err != nil {
				return nil, err
			}
			continue
		}
		et, err := rd.u32()
		if err != nil {
			return nil, err
		}
		n, err := rd.u64()
		if err != nil {
			return nil, err
		}
		if ValueType(et) != TypeString || n > maxArrayLen {
			return nil, bad("tokenizer.ggml.tokens is not a list of strings")
		}
		for j := uint64(0); j < n; j++ {
			want := false
			for _, id := range ids {
				want = want || id == j
			}
			if !want {
				l, err := rd.u64()
				if err != nil {
					return nil, err
				}
				if err := rd.skip(l); err != nil {
					return nil, err
				}
				continue
			}
			s, err := rd.str()
			if err != nil {
				return nil, err
			}
			for k, id := range ids {
				if id == j {
					out[k] = s
				}
			}
		}
		return out, nil
	}
	return out, nil
}
