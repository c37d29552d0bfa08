package engine

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/gguf"
)

// Memory is what loading a model will take: its weights, its KV cache for
// the context it will run with, and working buffers.
type Memory struct {
	Weights int64
	KVCache int64
	Compute int64
}

// Total is the sum of the parts.
func (m Memory) Total() int64 { return m.Weights + m.KVCache + m.Compute }

// EstimateMemory estimates the memory a model needs from its header, for a
// context of ctx tokens (0: the engine's default for the model).
func EstimateMemory(hdr *gguf.File, ctx int) Memory {
	arch, _ := hdr.String("general.architecture")
	get := func(key string) uint64 { v, _ := hdr.Uint(arch + "." + key); return v }
	if ctx <= 0 {
		ctx = int(min(max(get("context_length"), 1), 4096))
	}
	layers, embd, heads, headsKV := get("block_count"), get("embedding_length"), get("attention.head_count"), get("attention.head_count_kv")
	if headsKV == 0 {
		headsKV = heads
	}
	kDim, vDim := get("attention.key_length"), get("attention.value_length")
	if kDim == 0 && heads > 0 {
		kDim = embd / heads
	}
	if vDim == 0 {
		vDim = kDim
	}
	// F16 keys and values for every layer and position.
	kv := int64(ctx) * int64(layers) * int64(headsKV) * int64(kDim+vDim) * 2
	weights := int64(hdr.TensorDataBytes())
	return Memory{Weights: weights, KVCache: kv, Compute: 64<<20 + weights/50}
}

// checkFits refuses a model that will not fit in the memory available now,
// before anything is loaded. available < 0 means unknown (no check).
func checkFits(path string, need Memory, available int64) error {
	if available < 0 || need.Total() <= available {
		return nil
	}
	return apperr.New(apperr.Invalid,
		"model %q needs about %s of memory (%s of weights, %s of context cache) but only %s is available; close other programs, choose a smaller model or a shorter context",
		filepath.Base(path), gb(need.Total()), gb(need.Weights), gb(need.KVCache), gb(available))
}

// batchCompute is the working memory a batch context adds besides its
// cache (llama.cpp's compute buffers for a physical batch).
const batchCompute = 64 << 20

// checkBatchFits refuses to start GenerateBatch's context, n sequences of
// perSeq tokens with a cache of their own beside the chat's, when that
// cache will not fit in the memory available now: refused here, a summary
// says why and keeps its pieces; started anyway, the allocation succeeds
// (Linux overcommits) and the kernel kills the engine as the cache fills.
// kvPerToken is EstimateMemory's cache per token; available < 0 means
// unknown (no check).
func checkBatchFits(kvPerToken int64, n, perSeq int, available int64) error {
	need := kvPerToken*int64(n)*int64(perSeq) + batchCompute
	if available < 0 || need <= available {
		return nil
	}
	return apperr.New(apperr.Invalid,
		"running %d passages at once needs about %s more memory for their context cache, but only %s is available; close other programs, or load the model with a shorter context",
		n, gb(need), gb(available))
}

func gb(n int64) string { return fmt.Sprintf("%.1f GB", float64(n)/1e9) }

// availableMemory is the memory the system can give a new program without
// swapping (Linux: MemAvailable), or -1 where Chapel cannot tell.
func availableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb * 1024
		}
	}
	return -1
}
