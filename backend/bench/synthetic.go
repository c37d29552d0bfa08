// Package bench owns Chapel's performance measurements: the engine benchmark
// behind `chapel bench` (prompt and generation speed, time to first token,
// peak memory), the memory-bandwidth roofline, and the synthetic models it
// runs on when no real model is at hand.
package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/llama"
)

// weightTypes maps the type suffix of a synthetic model name to the weight
// type it is quantised to.
var weightTypes = map[string]llama.FileType{
	"f32": llama.FileTypeF32, "f16": llama.FileTypeF16, "q8_0": llama.FileTypeQ8_0, "q4_0": llama.FileTypeQ4_0,
	"q4_k_m": llama.FileTypeQ4_K_M, // the catalog's chat models' type
}

// ParseSynthetic splits a name such as "1b-q4_0" into a shape and a type.
func ParseSynthetic(name string) (gguf.Shape, llama.FileType, error) {
	shape, typ, ok := strings.Cut(strings.ToLower(name), "-")
	s, okShape := gguf.Shapes[shape]
	ft, okType := weightTypes[typ]
	if !ok || !okShape || !okType {
		return gguf.Shape{}, 0, fmt.Errorf("unknown synthetic model %q: use SHAPE-TYPE with SHAPE tiny, 135m, 0.5b or 1b and TYPE f32, f16, q8_0, q4_0 or q4_k_m (e.g. 1b-q4_0)", name)
	}
	return s, ft, nil
}

// Synthetic returns the path of synthetic model name in dir, writing it (and
// quantising it with llama.cpp's quantizer) the first time.
func Synthetic(ctx context.Context, dir, name string, threads int) (string, error) {
	shape, ft, err := ParseSynthetic(name)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "synthetic-"+strings.ToLower(name)+".gguf")
	if _, err := gguf.ReadFile(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("make the model cache folder: %w", err)
	}
	base := gguf.SynthOptions{Type: gguf.F16, Seed: 1}
	if ft == llama.FileTypeF32 {
		base.Type = gguf.F32
	}
	if ft == llama.FileTypeF32 || ft == llama.FileTypeF16 {
		return path, gguf.WriteSynthetic(path, shape, base)
	}
	src := filepath.Join(dir, ".synthetic-"+shape.Name+"-f16.tmp.gguf")
	defer os.Remove(src)
	if err := gguf.WriteSynthetic(src, shape, base); err != nil {
		return "", fmt.Errorf("write the F16 model: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	defer os.Remove(tmp)
	if err := llama.Quantize(src, tmp, ft, threads); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}
