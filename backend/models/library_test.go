package models

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/download"
	"github.com/chapelapp/chapel/backend/download/dltest"
)

type events struct {
	mu  sync.Mutex
	got map[string][]download.Progress
}

func (e *events) Emit(name string, payload any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := payload.(download.Progress); ok {
		e.got[name] = append(e.got[name], p)
	}
}

func (e *events) last(name string) (download.Progress, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ps := e.got[name]
	if len(ps) == 0 {
		return download.Progress{}, false
	}
	return ps[len(ps)-1], true
}

// testCatalog serves a synthetic model from 127.0.0.1 and points the
// catalogue at it.
func testCatalog(t *testing.T, f dltest.Faults) (*dltest.Server, CatalogModel) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "tiny.gguf")
	synthModel(t, src, "<|im_start|>")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	rev := strings.Repeat("d", 40)
	srv := dltest.New("test/tiny-GGUF", rev, "tiny-chat.gguf", data, f)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	m := CatalogModel{ID: "tiny-test", Name: "Tiny test", Kind: "chat", Repo: "test/tiny-GGUF", File: "tiny-chat.gguf", Revision: rev,
		SizeBytes: int64(len(data)), SHA256: srv.SHA256, Parameters: "1M", Quantization: "F32", ContextLength: 1024,
		License: "MIT", TemplateFamily: "chatml", GoodAt: "tests"}
	b, _ := json.Marshal(Catalog{Version: 1, Host: hs.URL, Models: []CatalogModel{m}})
	path := filepath.Join(t.TempDir(), "catalog.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvCatalogFile, path)
	return srv, m
}

func TestLibraryDownload(t *testing.T) {
	_, m := testCatalog(t, dltest.Faults{Throttle: 20 * time.Millisecond})
	dir := filepath.Join(t.TempDir(), "models")
	em := &events{got: map[string][]download.Progress{}}
	lib := NewLibrary(dir, download.Options{Backoff: 10 * time.Millisecond}, em)
	defer lib.Close()
	v, err := lib.View()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Models) != 1 || v.Models[0].Downloaded || v.Machine.DiskFree <= 0 {
		t.Fatalf("view %+v", v)
	}
	ref, err := lib.Start(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Event != EventDownloadPrefix+m.ID {
		t.Errorf("event %q", ref.Event)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if p, ok := em.last(ref.Event); ok && (p.State == download.StateDone || p.State == download.StateFailed) {
			if p.State != download.StateDone || p.ID != m.ID {
				t.Fatalf("ended %+v", p)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the download did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	v, _ = lib.View()
	if !v.Models[0].Downloaded {
		t.Error("the finished model is not marked downloaded")
	}
	if _, err := lib.Start(m.ID); err == nil {
		t.Error("downloading a model that is here: no error")
	}
	// The downloaded model is in Chapel's list, described.
	es, err := List(t.Context(), []string{dir}, nil)
	if err != nil || len(es) != 1 || es[0].TemplateFamily != "chatml" || es[0].App != AppChapel {
		t.Fatalf("list %+v %v", es, err)
	}
}

func TestResolveDownload(t *testing.T) {
	_, m := testCatalog(t, dltest.Faults{})
	r, name, err := ResolveDownload(m.ID, "", "/d")
	if err != nil || r.File != m.File || r.SHA256 != m.SHA256 || r.Size != m.SizeBytes || name != m.Name || !strings.Contains(r.URL, "/resolve/"+m.Revision+"/") {
		t.Errorf("catalogue id: %+v %q %v", r, name, err)
	}
	r, _, err = ResolveDownload("https://example.org/x/model.Q4.gguf?download=true", strings.Repeat("a", 64), "/d")
	if err != nil || r.File != "model.Q4.gguf" || r.SHA256 != strings.Repeat("a", 64) {
		t.Errorf("address: %+v %v", r, err)
	}
	for _, bad := range []string{"no-such-id", "https://example.org/readme.txt"} {
		if _, _, err := ResolveDownload(bad, "", "/d"); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
