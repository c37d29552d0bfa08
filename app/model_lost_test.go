package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/models"
)

// The window's model state after the engine worker crashed and could not
// load the model again (its file deleted or damaged meanwhile): not ready,
// but an error saying why, as a failed load; loading a model recovers.
func TestModelStateAfterAFailedReload(t *testing.T) {
	cases := []struct {
		name   string
		damage func(path string) error
	}{
		{"deleted", os.Remove},
		{"damaged", func(path string) error { return os.WriteFile(path, []byte("GGUF, cut short"), 0o600) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, ctx := newTestApp(t)
			good := testmodel.Tiny(t, gguf.ChatMLTemplate)
			b, err := os.ReadFile(good)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "mine.gguf")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := a.LoadModel(path); err != nil {
				t.Fatal(err)
			}
			var pid int
			if _, err := fmt.Sscanf(a.svc.worker.String(), "engine worker (pid %d)", &pid); err != nil {
				t.Fatalf("%q: %v", a.svc.worker.String(), err)
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if err := c.damage(path); err != nil {
				t.Fatal(err)
			}
			req := engine.Request{Messages: []engine.Message{{Role: engine.RoleUser, Content: "Hello"}}, MaxTokens: 4}
			var genErr error
			for range 2 { // the first call may be the one that finds the worker dead
				if _, genErr = a.svc.engine.Generate(ctx, req, func(string) {}); genErr != nil && !strings.HasPrefix(genErr.Error(), "the engine stopped") {
					break
				}
			}
			if genErr == nil {
				t.Fatal("a reply came from a model that could not be loaded again")
			}
			s := a.ModelState()
			if s.State != models.StateError || s.Model != nil || s.Path != path ||
				!strings.Contains(s.Error, "mine.gguf could not be loaded again after the engine restarted") {
				t.Errorf("state after the failed reload: %+v (the call: %v)", s, genErr)
			}
			// The API (Settings → Engines, chapel serve) says why too.
			if why := a.svc.noModelReason(); !strings.Contains(why, "mine.gguf could not be loaded again after the engine restarted") {
				t.Errorf("the API's reason: %q", why)
			}
			if _, err := a.LoadModel(good); err != nil {
				t.Fatal(err)
			}
			if s := a.ModelState(); s.State != models.StateReady || s.Model == nil || s.Error != "" {
				t.Errorf("state after loading a model: %+v", s)
			}
			if why := a.svc.noModelReason(); why != "" {
				t.Errorf("the API's reason after a load: %q, want none", why)
			}
		})
	}
}
