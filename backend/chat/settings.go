package chat

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// SettingsKey is the settings key holding the generation settings.
const SettingsKey = "chat.settings"

// Settings are the user's generation settings, shown in the settings panel.
type Settings struct {
	Temperature   float32 `json:"temperature"`
	TopK          int     `json:"top_k"`
	TopP          float32 `json:"top_p"`
	MinP          float32 `json:"min_p"`
	RepeatPenalty float32 `json:"repeat_penalty"`
	Seed          int64   `json:"seed"`       // -1 = a new random seed for every reply
	MaxTokens     int     `json:"max_tokens"` // 0 = until the model stops
	SystemPrompt  string  `json:"system_prompt"`
	IgnoreEOS     bool    `json:"ignore_eos"` // keep writing past the model's end of turn (testing, benchmarks)
	// ThinkingOff lists the reasoning models (by path) told not to think
	// before answering ("Think before answering" off).
	ThinkingOff []string `json:"thinking_off"`
}

// DefaultSettings are the settings before the user changes any.
func DefaultSettings() Settings {
	d := engine.DefaultSampling()
	return Settings{Temperature: d.Temperature, TopK: d.TopK, TopP: d.TopP, MinP: d.MinP,
		RepeatPenalty: d.RepeatPenalty, Seed: -1, MaxTokens: 1024}
}

// LoadSettings returns the saved settings, or the defaults.
func LoadSettings(ctx context.Context, st *store.Store) (Settings, error) {
	s := DefaultSettings()
	if _, err := st.GetSetting(ctx, SettingsKey, &s); err != nil {
		return DefaultSettings(), err
	}
	return s, nil
}

// SaveSettings checks and saves s.
func SaveSettings(ctx context.Context, st *store.Store, s Settings) (Settings, error) {
	s, err := ValidateSettings(s)
	if err != nil {
		return s, err
	}
	return s, st.SetSetting(ctx, SettingsKey, s)
}

// ValidateSettings checks that s is in range and tidies it. A refusal
// names every setting out of range (apperr.FieldsOf), not only the first.
func ValidateSettings(s Settings) (Settings, error) {
	s.SystemPrompt = strings.TrimSpace(s.SystemPrompt)
	if err := apperr.Problems(SettingsProblems(s)); err != nil {
		return s, err
	}
	slices.Sort(s.ThinkingOff)
	s.ThinkingOff = slices.Compact(s.ThinkingOff)
	return s, nil
}

// SettingsProblems lists what is out of range in s, each under its JSON name.
func SettingsProblems(s Settings) []apperr.Problem {
	var ps apperr.Checks
	check := ps.Add
	check(s.Temperature < 0 || s.Temperature > 5, "temperature", "temperature must be between 0 and 5")
	check(s.TopK < 0 || s.TopK > 1000, "top_k", "top-k must be between 0 (off) and 1000")
	check(s.TopP <= 0 || s.TopP > 1, "top_p", "top-p must be above 0 and at most 1")
	check(s.MinP < 0 || s.MinP >= 1, "min_p", "min-p must be between 0 and 1")
	check(s.RepeatPenalty < 0.5 || s.RepeatPenalty > 3, "repeat_penalty", "repeat penalty must be between 0.5 and 3")
	check(s.Seed < -1 || s.Seed > 0xFFFFFFFF, "seed", "seed must be -1 (random) or between 0 and 4294967295")
	check(s.MaxTokens < 0 || s.MaxTokens > 1<<20, "max_tokens", "max tokens must be 0 (no limit) or a positive number")
	check(len(strings.TrimSpace(s.SystemPrompt)) > 32<<10, "system_prompt", "the system prompt is too long (32 KB at most)")
	check(len(s.ThinkingOff) > 1000, "thinking_off", "too many models with thinking turned off")
	return ps
}

// Options turns settings into the options of one reply.
func (s Settings) Options() Options {
	seed := uint32(s.Seed)
	if s.Seed < 0 {
		seed = rand.Uint32()
	}
	return Options{
		Sampling: engine.Sampling{Temperature: s.Temperature, TopK: s.TopK, TopP: s.TopP, MinP: s.MinP,
			RepeatPenalty: s.RepeatPenalty, RepeatLastN: 64, Seed: seed},
		MaxTokens:    s.MaxTokens,
		SystemPrompt: s.SystemPrompt,
		IgnoreEOS:    s.IgnoreEOS,
		ThinkingOff:  s.ThinkingOff,
	}
}

// AskWithSettings is Ask with the user's saved generation settings.
func (s *Service) AskWithSettings(ctx context.Context, documentID int64, text string) (SendResult, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return SendResult{}, err
	}
	return s.Ask(ctx, documentID, text, set.Options())
}

// SendWithSettings is Send with the user's saved generation settings.
func (s *Service) SendWithSettings(ctx context.Context, conversationID int64, text string) (SendResult, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return SendResult{}, err
	}
	return s.Send(ctx, conversationID, text, set.Options())
}

// ModelSettings give the settings a model runs with: global (the settings
// of every model) with what the user chose for the model at path, or the
// model's own recommended sampling, applied.
type ModelSettings interface {
	ForModel(ctx context.Context, path string, global Settings) (Settings, error)
}

// SetModelSettings makes replies use each model's own settings. Call it
// before the first Send.
func (s *Service) SetModelSettings(m ModelSettings) { s.perModel = m }

// Settings returns the saved generation settings as the loaded model runs
// with them.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	set, err := LoadSettings(ctx, s.st)
	if err != nil || s.perModel == nil {
		return set, err
	}
	info, ok := s.eng.Model(ctx)
	if !ok {
		return set, nil
	}
	return s.perModel.ForModel(ctx, info.Path, set)
}
