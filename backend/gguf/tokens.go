package gguf

import "os"

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
	rd, h, err := readPreamble(f, st.Size())
	if err != nil {
		return nil, err
	}
	nKV := h.nKV
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
