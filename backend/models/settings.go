package models

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/gguf"
)

// Settings per model: what Chapel remembers for one model, keyed by the
// model's path. A model without saved settings runs with its defaults: the
// engine's context and Auto threads, the system prompt of every model, and
// the model's own recommended sampling (its GGUF general.sampling.* keys)
// where it has one, else Chapel's (the settings of every model).

// settingsPrefix starts the settings key of one model's settings; the
// model's path follows.
const settingsPrefix = "model.settings:"

// Settings are one model's settings.
type Settings struct {
	// ContextSize is the context the model loads with, in tokens; 0 is the
	// engine's default (the trained context, at most 4096).
	ContextSize int `json:"context_size"`
	// Threads is the most threads the engine uses; 0 is Auto: up to
	// engine.DefaultThreads, with fewer while that measures faster (another
	// program keeping a core busy). A number fixes the count.
	Threads       int     `json:"threads"`
	SystemPrompt  string  `json:"system_prompt"`
	Temperature   float32 `json:"temperature"`
	TopK          int     `json:"top_k"`
	TopP          float32 `json:"top_p"`
	MinP          float32 `json:"min_p"`
	RepeatPenalty float32 `json:"repeat_penalty"`
	// Thinking: a reasoning model thinks before answering (kept in the chat
	// settings' ThinkingOff, where the template lets it be turned off).
	Thinking bool `json:"thinking"`
}

// ContextMemory is what the model needs for a context of n tokens:
// Weights + Compute + n·KVPerToken bytes; Available is what the computer
// can give now (-1: unknown).
type ContextMemory struct {
	Weights    int64 `json:"weights"`
	Compute    int64 `json:"compute"`
	KVPerToken int64 `json:"kv_per_token"`
	Available  int64 `json:"available"`
}

// SettingsView is one model's settings as the settings panel shows them.
type SettingsView struct {
	Path     string   `json:"path"`
	Saved    bool     `json:"saved"`    // the user saved settings for this model; false: the defaults apply
	Values   Settings `json:"values"`   // what the model runs with
	Defaults Settings `json:"defaults"` // what "Reset to defaults" gives
	// Recommended names the sampling fields (as in JSON) whose default is the
	// model's own recommendation (general.sampling.*).
	Recommended []string `json:"recommended"`
	// Local is true for a GGUF file on this computer: context and threads
	// apply to it (not to a model an endpoint serves).
	Local          bool `json:"local"`
	TrainContext   int  `json:"train_context"`   // the context the model was trained with (0: unknown)
	DefaultContext int  `json:"default_context"` // the context a 0 ContextSize loads
	Cores          int  `json:"cores"`           // logical CPUs
	AutoThreads    int  `json:"auto_threads"`    // Auto's ceiling (engine.DefaultThreads)
	// SettledThreads is the thread count a reply's steps settled on the
	// last time Auto ran this model (the running copy's, else the one kept
	// for its next load); 0: not known.
	SettledThreads int           `json:"settled_threads"`
	Memory         ContextMemory `json:"memory"`
	// LoadedContext is the context the running copy of this model has (0:
	// not loaded); Reloaded says the save just reloaded it.
	LoadedContext int  `json:"loaded_context"`
	Reloaded      bool `json:"reloaded,omitempty"`
}

// minContext is the smallest context a model may be given.
const minContext = 128

// header is what the settings need from a model's GGUF header.
type header struct {
	size        int64
	mod         time.Time
	train       int
	memory      ContextMemory // without Available
	recommended map[string]float64
}

// settingsKey is the key of path's settings: an existing file by its
// absolute path (the path the engine reports), anything else as given.
func settingsKey(path string) string { return settingsPrefix + modelKey(path) }

func modelKey(path string) string {
	if _, err := os.Stat(path); err == nil {
		if abs, err := filepath.Abs(path); err == nil {
			return abs
		}
	}
	return path
}

// samplingKeys maps the settings' sampling fields to llama.cpp's GGUF keys
// for a model's recommended sampling.
var samplingKeys = []struct{ field, key string }{
	{"temperature", "general.sampling.temp"},
	{"top_k", "general.sampling.top_k"},
	{"top_p", "general.sampling.top_p"},
	{"min_p", "general.sampling.min_p"},
	{"repeat_penalty", "general.sampling.penalty_repeat"},
}

// readHeader reads path's header, from the cache while the file is unchanged.
// ok is false for a path that is not a readable GGUF file.
func (m *Manager) readHeader(path string) (header, bool) {
	st, err := os.Stat(path)
	if err != nil || st.IsDir() {
		return header{}, false
	}
	m.mu.Lock()
	h, ok := m.headers[path]
	m.mu.Unlock()
	if ok && h.size == st.Size() && h.mod.Equal(st.ModTime()) {
		return h, true
	}
	hdr, err := gguf.ReadFile(path)
	if err != nil {
		return header{}, false
	}
	h = header{size: st.Size(), mod: st.ModTime(), recommended: map[string]float64{}}
	arch, _ := hdr.String("general.architecture")
	if n, ok := hdr.Uint(arch + ".context_length"); ok && n < 1<<24 {
		h.train = int(n)
	}
	one := engine.EstimateMemory(hdr, 1)
	h.memory = ContextMemory{Weights: one.Weights, Compute: one.Compute, KVPerToken: one.KVCache}
	for _, k := range samplingKeys {
		if v, ok := number(hdr.Metadata[k.key]); ok {
			h.recommended[k.field] = v
		}
	}
	m.mu.Lock()
	if m.headers == nil {
		m.headers = map[string]header{}
	}
	m.headers[path] = h
	m.mu.Unlock()
	return h, true
}

// number is a GGUF metadata value of any numeric type as a float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float32:
		return float64(n), true
	case float64:
		return n, true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// defaults are path's settings before the user changes any, from the chat
// settings of every model (global) and the model's header; recommended
// lists the sampling fields the model itself chose.
func defaults(path string, global chat.Settings, h header) (s Settings, recommended []string) {
	s = Settings{SystemPrompt: global.SystemPrompt, Temperature: global.Temperature, TopK: global.TopK,
		TopP: global.TopP, MinP: global.MinP, RepeatPenalty: global.RepeatPenalty,
		Thinking: !slices.Contains(global.ThinkingOff, path)}
	for _, k := range samplingKeys {
		v, ok := h.recommended[k.field]
		if !ok {
			continue
		}
		try := s
		switch k.field {
		case "temperature":
			try.Temperature = float32(v)
		case "top_k":
			try.TopK = int(v)
		case "top_p":
			try.TopP = float32(v)
		case "min_p":
			try.MinP = float32(v)
		case "repeat_penalty":
			try.RepeatPenalty = float32(v)
		}
		// A recommendation out of Chapel's ranges is left out.
		if _, err := chat.ValidateSettings(try.onto(global)); err == nil {
			s = try
			recommended = append(recommended, k.field)
		}
	}
	return s, recommended
}

// onto returns global with s's system prompt and sampling.
func (s Settings) onto(global chat.Settings) chat.Settings {
	global.SystemPrompt, global.Temperature, global.TopK = s.SystemPrompt, s.Temperature, s.TopK
	global.TopP, global.MinP, global.RepeatPenalty = s.TopP, s.MinP, s.RepeatPenalty
	return global
}

// validate checks s for a model whose header is h (local false: no header).
// A refusal names every setting that is wrong (apperr.FieldsOf).
func validate(s Settings, h header, local bool) (Settings, error) {
	cores := runtime.NumCPU()
	var ps apperr.Checks
	check := ps.Add
	ctxTooSmall := s.ContextSize < 0 || s.ContextSize > 0 && s.ContextSize < minContext
	check(ctxTooSmall, "context_size", "the context must be at least %d tokens (or the default)", minContext)
	check(!ctxTooSmall && h.train > 0 && s.ContextSize > h.train, "context_size",
		"the context can be at most %d tokens, the length this model was trained with", h.train)
	check(!ctxTooSmall && s.ContextSize > 1<<20, "context_size", "the context can be at most %d tokens", 1<<20)
	check(s.Threads < 0 || s.Threads > cores, "threads", "threads must be Auto or between 1 and %d (the cores of this computer)", cores)
	check(!local && s.ContextSize != 0, "context_size", "context and threads apply only to a model file on this computer")
	check(!local && s.Threads != 0, "threads", "context and threads apply only to a model file on this computer")
	ps = append(ps, chat.SettingsProblems(s.onto(chat.DefaultSettings()))...)
	if err := apperr.Problems(ps); err != nil {
		return s, err
	}
	s.SystemPrompt = strings.TrimSpace(s.SystemPrompt)
	return s, nil
}

// LoadOptions are the options path loads with: the manager's own, with the
// model's saved context and threads, and with Auto threads the counts the
// engine settled on the last time it ran the model (threads.go).
func (m *Manager) LoadOptions(ctx context.Context, path string) engine.LoadOptions {
	opts := m.opts
	var s Settings
	ok, err := m.st.GetSetting(ctx, settingsKey(path), &s)
	if err != nil {
		m.log.Warn("could not read the model's settings; loading with the defaults", "path", path, "err", err)
	}
	if ok && err == nil {
		if s.ContextSize > 0 {
			opts.ContextSize = s.ContextSize
		}
		if s.Threads > 0 {
			opts.Threads, opts.FixedThreads = s.Threads, true
		}
	}
	if !opts.FixedThreads {
		// Auto starts from what the engine settled on last (threads.go).
		if start, ok := m.settledFor(ctx, modelKey(path), ceiling(opts)); ok {
			opts.StartThreads = start
		}
	}
	return opts
}

// Settings returns the settings of the model at path.
func (m *Manager) Settings(ctx context.Context, path string) (SettingsView, error) {
	if strings.TrimSpace(path) == "" {
		return SettingsView{}, apperr.New(apperr.Invalid, "no model to show the settings of")
	}
	key := modelKey(path)
	global, err := chat.LoadSettings(ctx, m.st)
	if err != nil {
		return SettingsView{}, err
	}
	h, local := m.readHeader(key)
	v := SettingsView{Path: key, Local: local, TrainContext: h.train, Cores: runtime.NumCPU(),
		AutoThreads: engine.DefaultThreads(), Memory: h.memory}
	v.Defaults, v.Recommended = defaults(key, global, h)
	if v.Recommended == nil {
		v.Recommended = []string{}
	}
	v.DefaultContext = min(max(h.train, 0), 4096)
	if h.train <= 0 {
		v.DefaultContext = 4096
	}
	_, v.Memory.Available = Memory()
	if !local {
		v.Memory.Available = -1
	}
	v.Values = v.Defaults
	var saved Settings
	if v.Saved, err = m.st.GetSetting(ctx, settingsKey(key), &saved); err != nil {
		return SettingsView{}, err
	}
	if v.Saved {
		saved.Thinking = v.Defaults.Thinking // kept in the chat settings
		v.Values = saved
	}
	if cur := m.State(); cur.Model != nil && cur.Model.Path == key && cur.State == StateReady {
		v.LoadedContext = cur.Model.ContextSize
	}
	if local {
		v.SettledThreads = m.lastSettled(ctx, key)
	}
	return v, nil
}

// ModelFieldPrefix marks, in a refusal of SaveBoth, the fields of the
// model's own settings ("model.temperature"), apart from every model's.
const ModelFieldPrefix = "model."

// SaveBoth saves every model's settings and, when path is not "", the
// settings of the model at path, or neither: both are checked first, and a
// refusal names every wrong field of both (the model's under
// ModelFieldPrefix). The settings panel saves both with one press; saving
// one and then finding the other wrong had kept half a form.
func (m *Manager) SaveBoth(ctx context.Context, global chat.Settings, path string, s Settings) (chat.Settings, SettingsView, error) {
	var ps []apperr.Problem
	if _, err := chat.ValidateSettings(global); err != nil {
		ps = append(ps, problemsOf(err, "")...)
	}
	var before SettingsView
	if path != "" {
		var err error
		if before, err = m.Settings(ctx, path); err != nil {
			return global, SettingsView{}, err
		}
		if s, err = m.check(before, s); err != nil {
			ps = append(ps, problemsOf(err, ModelFieldPrefix)...)
		}
	}
	if err := apperr.Problems(ps); err != nil {
		return global, SettingsView{}, err
	}
	prev, err := chat.LoadSettings(ctx, m.st)
	if err != nil {
		return global, SettingsView{}, err
	}
	saved, err := chat.SaveSettings(ctx, m.st, global)
	if err != nil || path == "" {
		return saved, SettingsView{}, err
	}
	v, err := m.saveChecked(ctx, before, s)
	if err != nil {
		// The model's could not be saved (its reload failed): every model's go back too.
		if _, rerr := chat.SaveSettings(ctx, m.st, prev); rerr != nil {
			m.log.Warn("could not put every model's settings back", "err", rerr)
		}
		return prev, SettingsView{}, err
	}
	// The model's save records its thinking in every model's settings: read them again.
	saved, err = chat.LoadSettings(ctx, m.st)
	return saved, v, err
}

// problemsOf is a refusal's problems, each field named with prefix; a
// refusal that names no field is one problem without a field.
func problemsOf(err error, prefix string) []apperr.Problem {
	fields := apperr.FieldsOf(err)
	if len(fields) == 0 {
		return []apperr.Problem{{Field: "", Msg: apperr.Message(err)}}
	}
	keys := slices.Sorted(maps.Keys(fields))
	ps := make([]apperr.Problem, 0, len(keys))
	for _, k := range keys {
		ps = append(ps, apperr.Problem{Field: prefix + k, Msg: fields[k]})
	}
	return ps
}

// SaveSettings checks and saves the settings of the model at path. When
// that model is loaded and its context or threads changed, it reloads with
// them; a reload that fails puts the settings back as they were.
func (m *Manager) SaveSettings(ctx context.Context, path string, s Settings) (SettingsView, error) {
	before, err := m.Settings(ctx, path)
	if err != nil {
		return SettingsView{}, err
	}
	if s, err = m.check(before, s); err != nil {
		return SettingsView{}, err
	}
	return m.saveChecked(ctx, before, s)
}

// check checks s for the model whose settings are now before, against its
// file (its context length, whether it runs here): s as it would be saved,
// or the refusal naming every wrong field.
func (m *Manager) check(before SettingsView, s Settings) (Settings, error) {
	h, _ := m.readHeader(before.Path)
	return validate(s, h, before.Local)
}

// saveChecked saves settings s, passed by check, of the model whose
// settings were before.
func (m *Manager) saveChecked(ctx context.Context, before SettingsView, s Settings) (SettingsView, error) {
	if err := m.st.SetSetting(ctx, settingsKey(before.Path), s); err != nil {
		return SettingsView{}, err
	}
	if err := m.setThinking(ctx, before.Path, s.Thinking); err != nil {
		return SettingsView{}, err
	}
	reloaded, err := m.reloadIfChanged(ctx, before.Path)
	if err != nil {
		if before.Saved {
			_ = m.st.SetSetting(ctx, settingsKey(before.Path), before.Values)
		} else {
			_ = m.st.DeleteSetting(ctx, settingsKey(before.Path))
		}
		return SettingsView{}, err
	}
	v, err := m.Settings(ctx, before.Path)
	v.Reloaded = reloaded
	return v, err
}

// ResetSettings forgets the settings saved for the model at path, so its
// defaults apply, and reloads it when that changes its context or threads.
func (m *Manager) ResetSettings(ctx context.Context, path string) (SettingsView, error) {
	key := modelKey(path)
	if err := m.st.DeleteSetting(ctx, settingsKey(key)); err != nil {
		return SettingsView{}, err
	}
	if err := m.setThinking(ctx, key, true); err != nil {
		return SettingsView{}, err
	}
	reloaded, err := m.reloadIfChanged(ctx, key)
	if err != nil {
		return SettingsView{}, err
	}
	v, err := m.Settings(ctx, key)
	v.Reloaded = reloaded
	return v, err
}

// setThinking records in the chat settings whether the model at path
// thinks before answering.
func (m *Manager) setThinking(ctx context.Context, path string, on bool) error {
	global, err := chat.LoadSettings(ctx, m.st)
	if err != nil {
		return err
	}
	if !slices.Contains(global.ThinkingOff, path) == on {
		return nil
	}
	global.ThinkingOff = slices.DeleteFunc(slices.Clone(global.ThinkingOff), func(p string) bool { return p == path })
	if !on {
		global.ThinkingOff = append(global.ThinkingOff, path)
	}
	_, err = chat.SaveSettings(ctx, m.st, global)
	return err
}

// reloadIfChanged reloads the model at path when it is the one loaded and
// the options it would load with now differ from those it runs with.
func (m *Manager) reloadIfChanged(ctx context.Context, path string) (bool, error) {
	m.mu.Lock()
	cur, loadedWith := m.state, m.loadedWith
	m.mu.Unlock()
	if cur.State != StateReady || cur.Model == nil || cur.Model.Path != path {
		return false, nil
	}
	if sameLoad(m.LoadOptions(ctx, path), loadedWith) {
		return false, nil
	}
	_, err := m.Load(ctx, path)
	return err == nil, err
}

// ForModel implements chat.ModelSettings: global with the system prompt and
// sampling the model at path runs with (its saved settings, else its own
// recommended sampling where it has one).
func (m *Manager) ForModel(ctx context.Context, path string, global chat.Settings) (chat.Settings, error) {
	var saved Settings
	ok, err := m.st.GetSetting(ctx, settingsKey(path), &saved)
	if err != nil {
		return global, err
	}
	if ok {
		return saved.onto(global), nil
	}
	h, _ := m.readHeader(modelKey(path))
	d, _ := defaults(path, global, h)
	return d.onto(global), nil
}
