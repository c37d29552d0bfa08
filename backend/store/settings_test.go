package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
)

func TestSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	type sampling struct {
		Temperature float64 `json:"temperature"`
		TopK        int     `json:"top_k"`
	}
	tests := []struct {
		key  string
		v    any
		into func() any // a pointer to decode into
	}{
		{"model.path", "/models/tiny.gguf", func() any { return new(string) }},
		{"chat.max_tokens", 512, func() any { return new(int) }},
		{"ui.dark", true, func() any { return new(bool) }},
		{"chat.sampling", sampling{0.7, 40}, func() any { return new(sampling) }},
		{"ui.recent", []string{"a", "b"}, func() any { return new([]string) }},
		{"unicode", "Grüße 👋", func() any { return new(string) }},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if err := s.SetSetting(ctx, tt.key, tt.v); err != nil {
				t.Fatal(err)
			}
			dst := tt.into()
			found, err := s.GetSetting(ctx, tt.key, dst)
			if err != nil || !found {
				t.Fatalf("GetSetting = %v, %v", found, err)
			}
			if got := reflect.ValueOf(dst).Elem().Interface(); !reflect.DeepEqual(got, tt.v) {
				t.Errorf("got %#v, want %#v", got, tt.v)
			}
		})
	}

	// Overwrite, then delete.
	if err := s.SetSetting(ctx, "model.path", "/other.gguf"); err != nil {
		t.Fatal(err)
	}
	var p string
	if _, err := s.GetSetting(ctx, "model.path", &p); err != nil || p != "/other.gguf" {
		t.Errorf("after overwrite = %q, %v", p, err)
	}
	if err := s.DeleteSetting(ctx, "model.path"); err != nil {
		t.Fatal(err)
	}
	p = "unchanged"
	if found, err := s.GetSetting(ctx, "model.path", &p); err != nil || found || p != "unchanged" {
		t.Errorf("deleted setting: found=%v err=%v dst=%q", found, err, p)
	}
}

func TestSettingsErrors(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	wantCode(t, s.SetSetting(ctx, "", 1), apperr.Invalid)
	wantCode(t, s.SetSetting(ctx, "bad", make(chan int)), apperr.Invalid)
	_, err := s.GetSetting(ctx, "", new(int))
	wantCode(t, err, apperr.Invalid)
	if err := s.SetSetting(ctx, "n", "text"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetSetting(ctx, "n", new(int))
	wantCode(t, err, apperr.Internal)
}
