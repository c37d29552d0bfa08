package remote

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/store"
)

func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dir
}

func ptr(s string) *string { return &s }

// With no usable secret store (a D-Bus address where nothing listens),
// keys fall back to a file only the user can read; they never reach the
// database.
func TestEndpointsKeepKeysOutOfTheDatabase(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	st, dir := openStore(t)
	sec := NewSecrets(dir)
	eps := NewEndpoints(st, sec)
	ctx := context.Background()
	const key = "sk-very-secret-key-42"

	rp := &replay{s: servers[0], key: key}
	ts := rp.start(t)
	ep, err := eps.Save(ctx, Endpoint{Name: "  box  ", BaseURL: ts.URL, Model: "tiny.gguf"}, ptr(key))
	if err != nil {
		t.Fatal(err)
	}
	if ep.ID == "" || ep.Name != "box" || !ep.HasKey || ep.BaseURL != ts.URL+"/v1" {
		t.Errorf("saved %+v", ep)
	}
	if !sec.InFile() {
		t.Error("the secret store with no bus still counts as working")
	}
	fi, err := os.Stat(filepath.Join(dir, "secrets", "endpoint-keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	db, _ := os.ReadFile(filepath.Join(dir, "chapel.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, "chapel.db-wal"))
	if strings.Contains(string(db)+string(wal), key) {
		t.Error("the API key is in the database")
	}

	// Saving again without a key keeps it; the key reaches the server.
	ep.Name = "rack box"
	if ep, err = eps.Save(ctx, ep, nil); err != nil || !ep.HasKey {
		t.Fatalf("rename: %+v %v", ep, err)
	}
	res, err := eps.Test(ctx, ep, nil)
	if err != nil || len(res.Models) != 1 {
		t.Fatalf("test with the stored key: %v %v", res, err)
	}
	if _, err := eps.Test(ctx, ep, ptr("wrong")); err == nil || !strings.Contains(err.Error(), "refused the API key") {
		t.Errorf("test with a wrong key: %v", err)
	}
	bad := ep
	bad.Model = "nope"
	if _, err := eps.Test(ctx, bad, nil); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("test with a model the server lacks: %v", err)
	}
	if _, err := eps.Save(ctx, Endpoint{Name: "Rack Box", BaseURL: ts.URL}, nil); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("a second endpoint of the same name: %v", err)
	}
	if _, err := eps.Save(ctx, Endpoint{Name: "x", BaseURL: "localhost:8080"}, nil); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("a URL without a scheme: %v", err)
	}

	// The Switch runs chats on the endpoint's model and back on the local one.
	local := engine.NewLocal()
	sw := NewSwitch(local, eps.Config)
	defer sw.Close()
	info, err := sw.Load(ctx, ep.Ref(), engine.LoadOptions{})
	if err != nil || info.Path != ep.Ref() || !sw.Remote() {
		t.Fatalf("load the endpoint's model: %+v %v", info, err)
	}
	var text strings.Builder
	if _, err := sw.Generate(ctx, engine.Request{Messages: []engine.Message{{Role: "user", Content: "hi"}}}, func(s string) { text.WriteString(s) }); err != nil {
		t.Fatal(err)
	}
	if text.String() != servers[0].text {
		t.Errorf("through the switch: %q", text.String())
	}
	if _, err := sw.Load(ctx, testmodel.Tiny(t, ""), engine.LoadOptions{ContextSize: 256, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	if m, _ := sw.Model(ctx); sw.Remote() || m.Architecture == "remote" {
		t.Errorf("after loading a file the switch runs %+v", m)
	}

	// Deleting removes the key too; a conversation that used it gets a sentence.
	if err := eps.Delete(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	if k, _ := sec.Get(ep.ID); k != "" {
		t.Error("the key outlived its endpoint")
	}
	if _, err := sw.Load(ctx, ep.Ref(), engine.LoadOptions{}); apperr.CodeOf(err) != apperr.NotFound || !strings.Contains(err.Error(), "add it again") {
		t.Errorf("a deleted endpoint: %v", err)
	}
	if list, _ := eps.List(ctx); len(list) != 0 {
		t.Errorf("endpoints left: %v", list)
	}
}

func TestSecretsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s", "keys.json")
	s := newFileSecrets(path)
	for _, c := range []struct{ id, key string }{{"a", "k1"}, {"b", "k2"}, {"a", "k3"}} {
		if err := s.Set(c.id, c.key); err != nil {
			t.Fatal(err)
		}
	}
	if a, _ := s.Get("a"); a != "k3" {
		t.Errorf("a = %q", a)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Get("a")
	b, _ := s.Get("b")
	if a != "" || b != "k2" {
		t.Errorf("after delete a=%q b=%q", a, b)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v %v", fi.Mode().Perm(), err)
	}
}
