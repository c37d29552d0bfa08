package models

import (
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/store"
)

// headerModel writes a GGUF header (no tensors) of a Llama-shaped model
// trained with a context of train tokens, with the extra keys given.
func headerModel(t *testing.T, train uint32, extra ...gguf.KV) string {
	t.Helper()
	kvs := append([]gguf.KV{
		{Key: "general.architecture", Value: "llama"},
		{Key: "general.name", Value: "header only"},
		{Key: "llama.context_length", Value: train},
		{Key: "llama.block_count", Value: uint32(4)},
		{Key: "llama.embedding_length", Value: uint32(256)},
		{Key: "llama.attention.head_count", Value: uint32(8)},
		{Key: "llama.attention.head_count_kv", Value: uint32(2)},
	}, extra...)
	p := filepath.Join(t.TempDir(), "m.gguf")
	if err := gguf.Write(p, kvs, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestModelSettingsDefaults(t *testing.T) {
	ctx := context.Background()
	chapel := chat.DefaultSettings()
	tests := []struct {
		name    string
		train   uint32
		extra   []gguf.KV
		want    func(s *Settings) // changes from Chapel's defaults
		wantRec []string
		wantCtx int
	}{
		{"no recommendation", 2048, nil, func(*Settings) {}, []string{}, 2048},
		{"every key, as llama.cpp writes them", 32768, []gguf.KV{
			{Key: "general.sampling.temp", Value: float32(0.6)},
			{Key: "general.sampling.top_k", Value: int32(20)},
			{Key: "general.sampling.top_p", Value: float32(0.8)},
			{Key: "general.sampling.min_p", Value: float32(0)},
			{Key: "general.sampling.penalty_repeat", Value: float32(1.05)},
		}, func(s *Settings) { s.Temperature, s.TopK, s.TopP, s.MinP, s.RepeatPenalty = 0.6, 20, 0.8, 0, 1.05 },
			[]string{"temperature", "top_k", "top_p", "min_p", "repeat_penalty"}, 4096},
		{"some keys, other number types", 1024, []gguf.KV{
			{Key: "general.sampling.top_k", Value: uint32(64)},
			{Key: "general.sampling.temp", Value: float64(1.0)},
		}, func(s *Settings) { s.TopK, s.Temperature = 64, 1.0 }, []string{"temperature", "top_k"}, 1024},
		{"a recommendation out of range is left out", 4096, []gguf.KV{
			{Key: "general.sampling.temp", Value: float32(9)},
			{Key: "general.sampling.top_p", Value: float32(0.7)},
		}, func(s *Settings) { s.TopP = 0.7 }, []string{"top_p"}, 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewManager(&loadEngine{}, openStore(t), nil, nil, engine.LoadOptions{})
			path := headerModel(t, tt.train, tt.extra...)
			v, err := m.Settings(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			want := Settings{Temperature: chapel.Temperature, TopK: chapel.TopK, TopP: chapel.TopP, MinP: chapel.MinP,
				RepeatPenalty: chapel.RepeatPenalty, Thinking: true}
			tt.want(&want)
			if v.Defaults != want || v.Values != want || v.Saved {
				t.Errorf("defaults %+v values %+v saved %v, want %+v", v.Defaults, v.Values, v.Saved, want)
			}
			if !slices.Equal(v.Recommended, tt.wantRec) {
				t.Errorf("recommended %v, want %v", v.Recommended, tt.wantRec)
			}
			if v.TrainContext != int(tt.train) || v.DefaultContext != tt.wantCtx || !v.Local {
				t.Errorf("train %d default %d local %v, want %d %d", v.TrainContext, v.DefaultContext, v.Local, tt.train, tt.wantCtx)
			}
			// 4 layers × 2 KV heads × (32+32) dims × 2 bytes.
			if v.Memory.KVPerToken != 4*2*64*2 || v.Cores != runtime.NumCPU() || v.AutoThreads != engine.DefaultThreads() {
				t.Errorf("memory %+v cores %d auto %d", v.Memory, v.Cores, v.AutoThreads)
			}
			// What a reply runs with, before the user saved anything.
			got, err := m.ForModel(ctx, v.Path, chapel)
			if err != nil {
				t.Fatal(err)
			}
			if got.Temperature != want.Temperature || got.TopK != want.TopK || got.TopP != want.TopP || got.MinP != want.MinP {
				t.Errorf("reply settings %+v, want the defaults %+v", got, want)
			}
		})
	}
}

func TestSaveModelSettings(t *testing.T) {
	ctx := context.Background()
	cores := runtime.NumCPU()
	good := Settings{ContextSize: 512, Threads: 1, SystemPrompt: "  Be brief.  ", Temperature: 0.2, TopK: 10, TopP: 0.9,
		MinP: 0.1, RepeatPenalty: 1.2, Thinking: false}
	tests := []struct {
		name   string
		change func(s *Settings)
		code   apperr.Code // "" = saved
	}{
		{"valid", func(*Settings) {}, ""},
		{"default context, Auto threads", func(s *Settings) { s.ContextSize, s.Threads = 0, 0 }, ""},
		{"the trained context", func(s *Settings) { s.ContextSize = 2048 }, ""},
		{"every core", func(s *Settings) { s.Threads = cores }, ""},
		{"past the trained context", func(s *Settings) { s.ContextSize = 2049 }, apperr.Invalid},
		{"a tiny context", func(s *Settings) { s.ContextSize = 16 }, apperr.Invalid},
		{"negative context", func(s *Settings) { s.ContextSize = -1 }, apperr.Invalid},
		{"more threads than cores", func(s *Settings) { s.Threads = cores + 1 }, apperr.Invalid},
		{"negative threads", func(s *Settings) { s.Threads = -2 }, apperr.Invalid},
		{"temperature out of range", func(s *Settings) { s.Temperature = 6 }, apperr.Invalid},
		{"top-p zero", func(s *Settings) { s.TopP = 0 }, apperr.Invalid},
	}
	t.Run("each wrong field named", func(t *testing.T) {
		m := NewManager(&loadEngine{}, openStore(t), nil, nil, engine.LoadOptions{})
		s := good
		s.ContextSize, s.Threads, s.TopP = 2049, -2, 0
		_, err := m.SaveSettings(ctx, headerModel(t, 2048), s)
		fields := apperr.FieldsOf(err)
		if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, []string{"context_size", "threads", "top_p"}) {
			t.Errorf("fields %v (%v); want context_size, threads, top_p", got, err)
		}
		if !strings.Contains(fields["context_size"], "2048") {
			t.Errorf("context_size: %q, want the trained length named", fields["context_size"])
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			m := NewManager(&loadEngine{}, st, nil, nil, engine.LoadOptions{})
			path := headerModel(t, 2048, gguf.KV{Key: "general.sampling.temp", Value: float32(0.6)})
			s := good
			tt.change(&s)
			v, err := m.SaveSettings(ctx, path, s)
			if tt.code != "" {
				if apperr.CodeOf(err) != tt.code {
					t.Fatalf("err %v, want code %s", err, tt.code)
				}
				if after, _ := m.Settings(ctx, path); after.Saved {
					t.Errorf("refused settings were saved: %+v", after.Values)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := s
			want.SystemPrompt = "Be brief."
			if !v.Saved || v.Values != want || v.Reloaded {
				t.Errorf("saved %v values %+v reloaded %v, want %+v", v.Saved, v.Values, v.Reloaded, want)
			}
			if v.Defaults.Temperature != 0.6 {
				t.Errorf("defaults lost the model's recommendation: %+v", v.Defaults)
			}
			// Replies run with them; thinking off is kept in the chat settings.
			global, err := chat.LoadSettings(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(global.ThinkingOff, v.Path) {
				t.Errorf("thinking off not recorded: %v", global.ThinkingOff)
			}
			got, err := m.ForModel(ctx, v.Path, global)
			if err != nil {
				t.Fatal(err)
			}
			if got.SystemPrompt != "Be brief." || got.Temperature != s.Temperature || got.TopK != s.TopK || got.RepeatPenalty != s.RepeatPenalty {
				t.Errorf("reply settings %+v, want %+v", got, s)
			}
			if opts := m.LoadOptions(ctx, path); opts.ContextSize != s.ContextSize || opts.Threads != s.Threads || opts.FixedThreads != (s.Threads > 0) {
				t.Errorf("load options %+v for %+v", opts, s)
			}
			// Reset: the defaults again, thinking back on.
			r, err := m.ResetSettings(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if r.Saved || r.Values != r.Defaults || !r.Values.Thinking || r.Values.Temperature != 0.6 {
				t.Errorf("after reset %+v", r)
			}
			if opts := m.LoadOptions(ctx, path); opts != (engine.LoadOptions{}) {
				t.Errorf("load options after reset %+v", opts)
			}
		})
	}
}

// The real engine loads with the context saved for the model, reloads when
// it changes, and the chat's replies take the model's sampling.
func TestModelSettingsReload(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	eng := engine.NewLocal()
	defer eng.Close()
	m := NewManager(eng, st, nil, nil, engine.LoadOptions{Threads: 1})
	path := testmodel.Tiny(t, "")
	steps := []struct {
		name         string
		do           func() (SettingsView, error)
		wantCtx      int
		wantReloaded bool
		wantFixed    bool
	}{
		{"save before loading", func() (SettingsView, error) {
			v, err := m.SaveSettings(ctx, path, Settings{ContextSize: 256, Threads: 1, Temperature: 0.3, TopK: 5, TopP: 0.9, RepeatPenalty: 1, Thinking: true})
			if err != nil || v.LoadedContext != 0 {
				t.Fatalf("saved before loading: %+v, %v", v, err)
			}
			if _, err = m.Load(ctx, path); err != nil {
				return v, err
			}
			return m.Settings(ctx, path)
		}, 256, false, true},
		{"a new context reloads", func() (SettingsView, error) {
			v, _ := m.Settings(ctx, path)
			s := v.Values
			s.ContextSize = 512
			return m.SaveSettings(ctx, path, s)
		}, 512, true, true},
		{"sampling alone does not reload", func() (SettingsView, error) {
			v, _ := m.Settings(ctx, path)
			s := v.Values
			s.Temperature = 0.9
			return m.SaveSettings(ctx, path, s)
		}, 512, false, true},
		{"reset reloads with the defaults", func() (SettingsView, error) { return m.ResetSettings(ctx, path) }, 1024, true, false},
		{"reset again changes nothing", func() (SettingsView, error) { return m.ResetSettings(ctx, path) }, 1024, false, false},
	}
	for _, s := range steps {
		v, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		info, ok := eng.Model(ctx)
		if !ok || info.ContextSize != s.wantCtx || v.Reloaded != s.wantReloaded {
			t.Errorf("%s: context %d reloaded %v, want %d %v", s.name, info.ContextSize, v.Reloaded, s.wantCtx, s.wantReloaded)
		}
		if st := m.State(); st.Model == nil || st.Model.ContextSize != s.wantCtx {
			t.Errorf("%s: state %+v", s.name, st)
		}
		if v.LoadedContext != s.wantCtx {
			t.Errorf("%s: loaded context %d, want %d", s.name, v.LoadedContext, s.wantCtx)
		}
		if m.loadedWith.FixedThreads != s.wantFixed {
			t.Errorf("%s: loaded with %+v", s.name, m.loadedWith)
		}
	}
	// The chat service asks the manager for the loaded model's settings.
	if _, err := m.SaveSettings(ctx, path, Settings{Temperature: 0.25, TopK: 3, TopP: 0.5, RepeatPenalty: 1, SystemPrompt: "Tiny.", Thinking: true}); err != nil {
		t.Fatal(err)
	}
	svc := chat.New(st, eng, nil, nil)
	svc.SetModelSettings(m)
	set, err := svc.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if set.Temperature != 0.25 || set.TopK != 3 || set.SystemPrompt != "Tiny." || set.MaxTokens != chat.DefaultSettings().MaxTokens {
		t.Errorf("chat settings for the loaded model %+v", set)
	}
	if opts, err := svc.SavedOptions(ctx); err != nil || opts.Sampling.Temperature != 0.25 || opts.SystemPrompt != "Tiny." {
		t.Errorf("saved options %+v, %v", opts, err)
	}
}

// TestSaveBoth: the settings panel's one press saves every model's settings
// and the model's own, or neither, naming every wrong field of both.
func TestSaveBoth(t *testing.T) {
	ctx := context.Background()
	good := Settings{ContextSize: 512, Threads: 1, Temperature: 0.2, TopK: 10, TopP: 0.9, MinP: 0.1, RepeatPenalty: 1.2}
	tests := []struct {
		name       string
		global     func(*chat.Settings)
		model      func(*Settings)
		onlyGlobal bool
		fields     []string // refused fields; none: both saved
	}{
		{"both right", func(*chat.Settings) {}, func(*Settings) {}, false, nil},
		{"every model's only", func(*chat.Settings) {}, nil, true, nil},
		{"both wrong: every field named", func(g *chat.Settings) { g.Seed, g.MaxTokens = -5, -1 },
			func(s *Settings) { s.TopP, s.RepeatPenalty = 0, 0.1 }, false,
			[]string{"max_tokens", "model.repeat_penalty", "model.top_p", "seed"}},
		{"the model's wrong: every model's not saved either", func(g *chat.Settings) { g.MaxTokens = 200 },
			func(s *Settings) { s.Temperature = 9 }, false, []string{"model.temperature"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			m := NewManager(&loadEngine{}, st, nil, nil, engine.LoadOptions{})
			path := headerModel(t, 2048)
			g, s := chat.DefaultSettings(), good
			tt.global(&g)
			if tt.model != nil {
				tt.model(&s)
			}
			p := path
			if tt.onlyGlobal {
				p = ""
			}
			_, v, err := m.SaveBoth(ctx, g, p, s)
			saved, _ := chat.LoadSettings(ctx, st)
			after, _ := m.Settings(ctx, path)
			if len(tt.fields) > 0 {
				got := slices.Sorted(maps.Keys(apperr.FieldsOf(err)))
				if !slices.Equal(got, tt.fields) {
					t.Errorf("refused fields %v (%v), want %v", got, err, tt.fields)
				}
				if !reflect.DeepEqual(saved, chat.DefaultSettings()) || after.Saved {
					t.Errorf("something was saved: every model's %+v, the model's saved %v", saved, after.Saved)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			saved.ThinkingOff, g.ThinkingOff = nil, nil // the model's save records its thinking there
			if !reflect.DeepEqual(saved, g) {
				t.Errorf("every model's settings %+v, want %+v", saved, g)
			}
			if after.Saved == tt.onlyGlobal || (!tt.onlyGlobal && !v.Saved) {
				t.Errorf("the model's saved = %v (view %v), want %v", after.Saved, v.Saved, !tt.onlyGlobal)
			}
		})
	}
}

// reloadFails loads once; every later load (a reload with new settings) fails.
type reloadFails struct {
	loadEngine
	loads int
}

func (e *reloadFails) Load(ctx context.Context, path string, o engine.LoadOptions) (engine.ModelInfo, error) {
	e.loads++
	if e.loads > 1 {
		return engine.ModelInfo{}, apperr.New(apperr.Unavailable, "not enough memory for that context")
	}
	return e.loadEngine.Load(ctx, path, o)
}

// TestSaveBothPutsBackOnAFailedReload: the model's settings saved, its
// reload failed: every model's settings go back as they were too.
func TestSaveBothPutsBackOnAFailedReload(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	eng := &reloadFails{}
	m := NewManager(eng, st, nil, nil, engine.LoadOptions{})
	path := headerModel(t, 2048)
	if _, err := m.Load(ctx, path); err != nil {
		t.Fatal(err)
	}
	before, _ := chat.LoadSettings(ctx, st)
	g := before
	g.MaxTokens = 200
	s := Settings{ContextSize: 1024, Temperature: 0.2, TopK: 10, TopP: 0.9, MinP: 0.1, RepeatPenalty: 1.2}
	if _, _, err := m.SaveBoth(ctx, g, path, s); err == nil || !strings.Contains(apperr.Message(err), "not enough memory") {
		t.Fatalf("SaveBoth = %v, want the failed reload's error", err)
	}
	after, _ := chat.LoadSettings(ctx, st)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("every model's settings after the failed reload %+v, want them as before %+v", after, before)
	}
	if v, _ := m.Settings(ctx, path); v.Saved {
		t.Errorf("the model's settings stayed saved: %+v", v.Values)
	}
}
