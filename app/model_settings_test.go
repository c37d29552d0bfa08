package app

import (
	"runtime"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// Settings per model through the window's methods, on the engine worker:
// a saved context reloads the loaded model with it, the CLI loads with it
// too, and a reset loads the default again.
func TestModelSettingsMethods(t *testing.T) {
	a, ctx := newTestApp(t)
	info, err := a.LoadModel(testmodel.Tiny(t, gguf.ChatMLTemplate))
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.GetModelSettings(info.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Local || v.Saved || v.DefaultContext != info.ContextSize || v.LoadedContext != info.ContextSize {
		t.Fatalf("settings of the loaded model %+v (loaded with %d)", v, info.ContextSize)
	}
	steps := []struct {
		name    string
		do      func() error
		wantCtx int
		code    apperr.Code
	}{
		{"too many threads", func() error {
			s := v.Values
			s.Threads = runtime.NumCPU() + 1
			_, err := a.SaveModelSettings(info.Path, s)
			return err
		}, info.ContextSize, apperr.Invalid},
		{"a context of 256 reloads", func() error {
			s := v.Values
			s.ContextSize, s.Threads = 256, 1
			got, err := a.SaveModelSettings(info.Path, s)
			if err == nil && (!got.Reloaded || got.LoadedContext != 256) {
				t.Errorf("after saving: %+v", got)
			}
			return err
		}, 256, ""},
		{"the CLI loads with it", func() error { return loadForCLI(ctx, a.svc, info.Path, 0) }, 256, ""},
		{"reset loads the default", func() error {
			got, err := a.ResetModelSettings(info.Path)
			if err == nil && (got.Saved || !got.Reloaded) {
				t.Errorf("after reset: %+v", got)
			}
			return err
		}, info.ContextSize, ""},
	}
	for _, s := range steps {
		err := s.do()
		if (s.code == "" && err != nil) || (s.code != "" && apperr.CodeOf(err) != s.code) {
			t.Fatalf("%s: err %v, want code %q", s.name, err, s.code)
		}
		cur, ok := a.svc.engine.Model(ctx)
		if !ok || cur.ContextSize != s.wantCtx {
			t.Errorf("%s: engine context %d, want %d", s.name, cur.ContextSize, s.wantCtx)
		}
		// The CLI loads behind the manager's back; the window's state follows the manager.
		if st := a.ModelState(); st.Model == nil || (st.Model.ContextSize != s.wantCtx && s.name != "the CLI loads with it") {
			t.Errorf("%s: model state %+v", s.name, st)
		}
	}
}
