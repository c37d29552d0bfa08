package chat

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

func TestSettingsSaveLoad(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, newFake("ok"))
	got, err := LoadSettings(ctx, f.st)
	if err != nil || !reflect.DeepEqual(got, DefaultSettings()) {
		t.Fatalf("unsaved settings = %+v, %v; want the defaults", got, err)
	}
	want := DefaultSettings()
	want.Temperature, want.Seed, want.SystemPrompt = 0.2, 42, "Be brief."
	saved, err := SaveSettings(ctx, f.st, Settings{Temperature: 0.2, TopK: want.TopK, TopP: want.TopP, MinP: want.MinP,
		RepeatPenalty: want.RepeatPenalty, Seed: 42, MaxTokens: want.MaxTokens, SystemPrompt: "  Be brief.\n"})
	if err != nil || !reflect.DeepEqual(saved, want) {
		t.Fatalf("saved %+v, %v; want %+v", saved, err, want)
	}
	if got, err := LoadSettings(ctx, f.st); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("loaded %+v, %v; want %+v", got, err, want)
	}
}

func TestValidateSettings(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Settings)
		bad  []string // the fields refused; none: accepted
	}{
		{"defaults", func(*Settings) {}, nil},
		{"greedy", func(s *Settings) { s.Temperature = 0 }, nil},
		{"negative temperature", func(s *Settings) { s.Temperature = -0.1 }, []string{"temperature"}},
		{"top-p zero", func(s *Settings) { s.TopP = 0 }, []string{"top_p"}},
		{"top-k too big", func(s *Settings) { s.TopK = 5000 }, []string{"top_k"}},
		{"min-p one", func(s *Settings) { s.MinP = 1 }, []string{"min_p"}},
		{"repeat penalty low", func(s *Settings) { s.RepeatPenalty = 0.1 }, []string{"repeat_penalty"}},
		{"seed below -1", func(s *Settings) { s.Seed = -2 }, []string{"seed"}},
		{"seed max", func(s *Settings) { s.Seed = 0xFFFFFFFF }, nil},
		{"negative max tokens", func(s *Settings) { s.MaxTokens = -1 }, []string{"max_tokens"}},
		{"three wrong at once: each named", func(s *Settings) { s.Temperature, s.TopP, s.RepeatPenalty = 9, 0, 0 },
			[]string{"repeat_penalty", "temperature", "top_p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.edit(&s)
			_, err := ValidateSettings(s)
			if len(tt.bad) == 0 {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			fields := apperr.FieldsOf(err)
			got := slices.Sorted(maps.Keys(fields))
			if apperr.CodeOf(err) != apperr.Invalid || !slices.Equal(got, tt.bad) {
				t.Errorf("err = %v, fields %v; want invalid naming %v", err, got, tt.bad)
			}
			for _, f := range tt.bad {
				if !strings.Contains(apperr.Message(err), fields[f]) {
					t.Errorf("the message %q leaves out %q", apperr.Message(err), fields[f])
				}
			}
		})
	}
}

func TestSettingsOptions(t *testing.T) {
	s := DefaultSettings()
	s.Seed, s.MaxTokens, s.SystemPrompt = 7, 99, "sys"
	o := s.Options()
	d := engine.DefaultSampling()
	if o.Sampling.Seed != 7 || o.Sampling.Temperature != d.Temperature || o.MaxTokens != 99 || o.SystemPrompt != "sys" {
		t.Errorf("options %+v", o)
	}
	s.Seed = -1
	if a, b := s.Options().Sampling.Seed, s.Options().Sampling.Seed; a == b {
		// Two equal random 32-bit seeds in a row: possible, vanishingly unlikely.
		t.Errorf("random seed repeated: %d", a)
	}
}

func TestDeleteStopsThenDeletes(t *testing.T) {
	ctx := context.Background()
	eng := newFake("a", "b")
	eng.holdBefore(1)
	f := newFixture(t, eng)
	res, err := f.svc.Send(ctx, 0, "hi", Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.held
	if err := f.svc.Delete(ctx, res.Conversation.ID); err != nil {
		t.Fatal(err)
	}
	if f.svc.Generating(res.Conversation.ID) {
		t.Error("still generating after Delete")
	}
	_, err = f.st.GetConversation(ctx, res.Conversation.ID)
	wantCode(t, err, apperr.NotFound)
}
