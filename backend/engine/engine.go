// Package engine owns text generation: loading a GGUF model, turning a
// conversation into a prompt with the model's own chat template, sampling and
// streaming the reply as UTF-8 text. Callers see the Engine interface; the
// implementation behind it may run in this process or in a worker process.
package engine

import (
	"context"
)

// Role names used in Message.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Sampling holds the sampler chain settings. Zero values mean the defaults
// from DefaultSampling.
type Sampling struct {
	Temperature   float32 `json:"temperature"`    // 0 = greedy
	TopK          int     `json:"top_k"`          // 0 = off
	TopP          float32 `json:"top_p"`          // 1 = off
	MinP          float32 `json:"min_p"`          // 0 = off
	RepeatPenalty float32 `json:"repeat_penalty"` // 1 = off
	RepeatLastN   int     `json:"repeat_last_n"`
	Seed          uint32  `json:"seed"`
}

// DefaultSampling is what a chat uses unless told otherwise.
func DefaultSampling() Sampling {
	return Sampling{Temperature: 0.7, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, RepeatLastN: 64, Seed: 0}
}

// Request is one generation: the whole conversation so far (ending with the
// user's turn) and how to sample the reply.
type Request struct {
	Messages  []Message `json:"messages"`
	Sampling  Sampling  `json:"sampling"`
	MaxTokens int       `json:"max_tokens"`       // 0 = until end of generation or the context is full
	Tokens    []int32   `json:"tokens,omitempty"` // a raw prompt of token ids; Messages and the template are not used (benchmarks)
	IgnoreEOS bool      `json:"ignore_eos"`       // never end the turn: generate until MaxTokens or a full context (benchmarks, tests)
	// Thinking turns a reasoning model's thinking on or off where its
	// template allows (ModelInfo.ThinkSwitch); nil leaves the template's
	// default. A prompt that opens a thinking block for the model streams
	// that opening marker ("<think>") as the reply's first piece, so the
	// stream alone tells thinking from answer (chattmpl.Splitter).
	Thinking *bool `json:"thinking,omitempty"`
	// ContextNeeded is how many tokens of context the request was planned
	// for (its prompt and its answer, as the caller counted them), 0 when
	// unplanned. A batch shared with endpoints leaves out an endpoint whose
	// context is smaller (remote.Switch): a server that cuts a prompt to its
	// context would answer from part of it, and say nothing.
	ContextNeeded int `json:"context_needed,omitempty"`
	// Whole refuses a conversation that does not fit the context whole
	// (apperr.Invalid, saying by how much) instead of leaving out its
	// oldest turns, or the start of a message too long alone: what an API
	// client expects (an OpenAI-compatible server answers 400), where the
	// window keeps the conversation going and says what it left out.
	Whole bool `json:"whole,omitempty"`
}

// Stop reasons reported in Result.StopReason.
const (
	StopEOG      = "eog"      // the model ended its turn
	StopLength   = "length"   // MaxTokens reached or the context is full
	StopCanceled = "canceled" // the caller's context was cancelled
)

// Result describes a finished generation.
type Result struct {
	// TemplateNote says in one sentence for the user how the conversation
	// was changed because the model's template rejected it as it was (the
	// system prompt folded into the first message, turns merged), or "".
	TemplateNote string `json:"template_note,omitempty"`

	PromptTokens     int     `json:"prompt_tokens"`
	CachedTokens     int     `json:"cached_tokens"` // prompt tokens reused from the previous turn's KV cache
	CompletionTokens int     `json:"completion_tokens"`
	PromptTPS        float64 `json:"prompt_tps"`
	TokensPerSecond  float64 `json:"tokens_per_second"`
	TimeToFirstMS    float64 `json:"ttft_ms"`
	StopReason       string  `json:"stop_reason"`
	ContextUsed      int     `json:"context_used"`
	ContextSize      int     `json:"context_size"`
	DroppedMessages  int     `json:"dropped_messages"` // oldest turns left out to fit the context
	CutTokens        int     `json:"cut_tokens"`       // tokens left out from the start of a message too long for the context alone
	ShiftedTokens    int     `json:"shifted_tokens"`   // tokens dropped from the start (after the system prompt) while the reply filled the context
	Threads          int     `json:"threads"`          // threads the reply's steps used at its end (the tuner's choice)
	// TunedThreads is what the thread tuner has settled on per decode size
	// at the reply's end (zero: not tuned: fixed threads, a remote engine).
	TunedThreads ThreadCounts `json:"tuned_threads,omitzero"`
}

// ThreadCounts are thread counts per decode size, as the engine's tuner
// keeps them (threads.go): Step for one token (a reply's steps), Steps for
// a few (parallel sequences), Prompt for prompt batches; 0 = not known.
type ThreadCounts struct {
	Step   int `json:"step"`
	Steps  int `json:"steps"`
	Prompt int `json:"prompt"`
}

// ModelInfo describes a loaded model.
type ModelInfo struct {
	Path         string `json:"path"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Architecture string `json:"architecture"`
	SizeBytes    int64  `json:"size_bytes"`
	Params       uint64 `json:"params"`
	ContextSize  int    `json:"context_size"`  // the context the engine runs with
	TrainContext int    `json:"train_context"` // the context the model was trained with
	HasTemplate  bool   `json:"has_template"`  // false: plain completion, no chat template
	TemplateMode string `json:"template_mode"` // TemplateJinja, TemplateBuiltin or TemplatePlain
	Reasoning    bool   `json:"reasoning"`     // the model thinks before answering (its template knows thinking blocks)
	ThinkSwitch  string `json:"think_switch"`  // how thinking can be turned off: "flag" (enable_thinking), "/no_think", "" (it cannot)
	VocabSize    int    `json:"vocab_size"`
	// TemplateUnusable: the file has a chat template, but neither the Jinja
	// engine nor llama.cpp's built-in formatting could lay out a
	// conversation with it, so the model runs as plain completion; the UI
	// then says the template was set aside, not that there is none.
	TemplateUnusable bool `json:"template_unusable,omitempty"`
	// TunedThreads is what the thread tuner has settled on so far for this
	// load, or remembered to start from (zero: nothing yet, fixed threads,
	// or a remote engine).
	TunedThreads ThreadCounts `json:"tuned_threads,omitzero"`
	// StartThreads is the thread count a reply's steps start at after the
	// load (remembered, else one for a small model file, else the
	// ceiling); zero for a remote engine.
	StartThreads int `json:"start_threads,omitempty"`
	// Kernels says who multiplies Q4_0 weights repacked for this CPU,
	// Chapel's kernels or ggml's, and why (measured at start); empty for a
	// remote engine or a build without Chapel's kernels.
	Kernels string `json:"kernels,omitempty"`
}

// LoadOptions tune how a model is loaded.
type LoadOptions struct {
	ContextSize int `json:"context_size"` // 0 = min(train context, 4096)
	Threads     int `json:"threads"`      // 0 = physical cores; the most threads the engine may use
	// FixedThreads keeps Threads for every decode; by default the engine
	// measures each decode and uses fewer threads while that is faster
	// (another busy process on the machine), see threads.go.
	FixedThreads bool `json:"fixed_threads,omitempty"`
	// IgnoreMachineLoad makes the tuner work from its own timings alone,
	// not from what the system says other programs take of the cores
	// (cpuload.go): chapel bench's comparison.
	IgnoreMachineLoad bool `json:"ignore_machine_load,omitempty"`
	BatchSize         int  `json:"batch_size"` // 0 = 512
	// StartThreads are the counts the tuner starts from instead of Threads
	// (what it settled on the last time this model ran, kept by the
	// caller); they are only a start, the tuner still tries the others. A
	// count the engine remembers from an earlier load in this process
	// comes first.
	StartThreads ThreadCounts `json:"start_threads,omitzero"`
}

// Engine generates text. Implementations are safe for concurrent use; a
// generation started while another runs waits for it.
type Engine interface {
	// Load replaces the loaded model with the one at path.
	Load(ctx context.Context, path string, opts LoadOptions) (ModelInfo, error)
	// Model reports the loaded model, if any.
	Model(ctx context.Context) (ModelInfo, bool)
	// Generate streams the reply to req through onPiece (valid UTF-8 text,
	// in order) and returns when generation ends. A cancelled ctx stops it
	// within 100 ms and returns the Result with StopReason "canceled" and a
	// nil error.
	Generate(ctx context.Context, req Request, onPiece func(piece string)) (Result, error)
	// GenerateBatch generates replies to up to MaxParallel requests together
	// as parallel sequences, passing (request index, text) to onPiece. A
	// cancelled ctx ends every sequence ("canceled") with a nil error.
	GenerateBatch(ctx context.Context, reqs []Request, onPiece func(i int, piece string)) ([]Result, error)
	// CountTokens returns how many tokens each text is for the loaded model's
	// tokenizer, as plain text (no special tokens added or parsed).
	CountTokens(ctx context.Context, texts []string) ([]int, error)
	// Close unloads the model and frees everything.
	Close() error
}
