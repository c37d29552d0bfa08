package app

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/chapelapp/chapel/backend/gguf"
)

// cmdSynthModel writes a Llama-shaped model with random weights: the
// engine's tests and benchmarks use it where no real model is at hand.
func cmdSynthModel(args []string) int {
	fl := flag.NewFlagSet("synth-model", flag.ContinueOnError)
	shape := fl.String("shape", "tiny", "")
	chatTemplate := fl.Bool("chat", false, "")
	f16 := fl.Bool("f16", false, "")
	seed := fl.Uint64("seed", 1, "")
	templateFile := fl.String("template", "", "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) != 1 {
		return usageError(fmt.Errorf("synth-model needs one output PATH"))
	}
	s, ok := gguf.Shapes[*shape]
	if !ok {
		names := make([]string, 0, len(gguf.Shapes))
		for n := range gguf.Shapes {
			names = append(names, n)
		}
		sort.Strings(names)
		return usageError(fmt.Errorf("unknown shape %q (choose %s)", *shape, strings.Join(names, ", ")))
	}
	opt := gguf.SynthOptions{Type: gguf.F32, Seed: *seed}
	if *f16 {
		opt.Type = gguf.F16
	}
	if *chatTemplate {
		opt.ChatTemplate = gguf.ChatMLTemplate
	}
	if *templateFile != "" { // a chat template of its own (the vocabulary has ChatML's tokens)
		b, err := os.ReadFile(*templateFile)
		if err != nil {
			return fail(fmt.Errorf("read the template: %w", err))
		}
		opt.ChatTemplate = string(b)
	}
	if err := gguf.WriteSynthetic(pos[0], s, opt); err != nil {
		return fail(fmt.Errorf("write the model: %w", err))
	}
	return 0
}
