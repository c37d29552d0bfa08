package models

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCatalogComplete(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	chat, embed := 0, 0
	for _, m := range c.Models {
		switch m.Kind {
		case "chat":
			chat++
			if m.Quantization != "Q4_K_M" {
				t.Errorf("%s: chat models are Q4_K_M, got %s", m.ID, m.Quantization)
			}
		case "embedding":
			embed++
		}
		if m.SHA256 == "" || m.SizeBytes == 0 {
			// Allowed (the server's X-Linked-Etag/Size decide), but say so.
			t.Logf("%s has no pinned hash or size: the download trusts the server's", m.ID)
		}
	}
	if chat < 10 || chat > 15 || embed != 1 {
		t.Errorf("%d chat and %d embedding models; want 10-15 and 1", chat, embed)
	}
	for _, want := range []string{"qwen2.5", "qwen3", "llama-3.2", "gemma-3", "phi-4-mini", "smollm2", "deepseek-r1", "mistral-7b"} {
		found := false
		for _, m := range c.Models {
			found = found || strings.HasPrefix(m.ID, want)
		}
		if !found {
			t.Errorf("no %s model in the catalogue", want)
		}
	}
}

func TestCatalogCheckRejects(t *testing.T) {
	good := `{"id":"a","name":"A","kind":"chat","repo":"o/r","file":"a.gguf","revision":"` + strings.Repeat("a", 40) +
		`","size_bytes":1,"sha256":"` + strings.Repeat("b", 64) + `","parameters":"1B","quantization":"Q4_K_M","context_length":8,"license":"MIT","template_family":"x","good_at":"y"}`
	cases := map[string]string{
		"ok":           good,
		"short hash":   strings.Replace(good, strings.Repeat("b", 64), "abc", 1),
		"upper hash":   strings.Replace(good, strings.Repeat("b", 64), strings.Repeat("B", 64), 1),
		"no licence":   strings.Replace(good, `"license":"MIT"`, `"license":""`, 1),
		"bad revision": strings.Replace(good, strings.Repeat("a", 40), "main", 1),
		"path in file": strings.Replace(good, `"a.gguf"`, `"../a.gguf"`, 1),
		"no hash ok":   strings.Replace(good, strings.Repeat("b", 64), "", 1),
	}
	for name, entry := range cases {
		_, err := ParseCatalog([]byte(`{"version":1,"host":"https://huggingface.co","models":[` + entry + `]}`))
		wantOK := name == "ok" || name == "no hash ok"
		if (err == nil) != wantOK {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// fact is one value of ../shared/catalog-facts/models.json.
type fact struct {
	Value json.RawMessage `json:"value"`
}

// TestCatalogAgreesWithFacts compares every entry with the gathered facts,
// when they are beside the checkout.
func TestCatalogAgreesWithFacts(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "..", "shared", "catalog-facts", "models.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no catalogue facts beside the checkout (%v)", err)
	}
	var facts []map[string]json.RawMessage
	if err := json.Unmarshal(b, &facts); err != nil {
		t.Fatal(err)
	}
	byID := map[string]map[string]json.RawMessage{}
	for _, f := range facts {
		var id string
		json.Unmarshal(f["id"], &id)
		byID[id] = f
	}
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	value := func(f map[string]json.RawMessage, key string, into any) bool {
		var fv fact
		if json.Unmarshal(f[key], &fv) != nil || len(fv.Value) == 0 || string(fv.Value) == "null" {
			return false
		}
		return json.Unmarshal(fv.Value, into) == nil
	}
	for _, m := range c.Models {
		f, ok := byID[m.ID]
		if !ok {
			t.Errorf("%s is not in the facts", m.ID)
			continue
		}
		for key, got := range map[string]string{"repo": m.Repo, "file": m.File, "sha256": m.SHA256, "revision": m.Revision} {
			var want string
			if value(f, key, &want) && want != got {
				t.Errorf("%s: %s = %q, facts say %q", m.ID, key, got, want)
			}
		}
		var size int64
		if value(f, "size_bytes", &size) && size != m.SizeBytes {
			t.Errorf("%s: size %d, facts say %d", m.ID, m.SizeBytes, size)
		}
		var ctx int
		if value(f, "context_length", &ctx) && ctx != m.ContextLength {
			t.Errorf("%s: context %d, facts say %d", m.ID, m.ContextLength, ctx)
		}
		var lic string
		if value(f, "license", &lic) && !strings.HasPrefix(strings.ToLower(lic), strings.ToLower(m.License)) {
			t.Errorf("%s: licence %q, facts say %q", m.ID, m.License, lic)
		}
		var reasoning any
		if value(f, "reasoning", &reasoning) {
			facts := reasoning == true || strings.HasPrefix(strings.ToLower(toString(reasoning)), "hybrid")
			if facts != m.Reasoning {
				t.Errorf("%s: reasoning %v, facts say %v", m.ID, m.Reasoning, reasoning)
			}
		}
	}
}

func toString(v any) string { s, _ := v.(string); return s }

func TestCatalogFits(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		mc       Machine
		maxRecGB float64 // the recommended file is at most this big
		minRecGB float64
		noneFits bool
	}{
		{"4 GB laptop", Machine{TotalMemory: 4 << 30, DiskFree: 100 << 30}, 1.3, 0.3, false},
		{"16 GB desktop", Machine{TotalMemory: 16 << 30, DiskFree: 100 << 30}, 6, 2, false},
		{"full disk", Machine{TotalMemory: 16 << 30, DiskFree: 10 << 20}, 0, 0, true},
		{"unknown machine", Machine{TotalMemory: -1, DiskFree: -1}, 2.2, 0.3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fits := c.Fits(tc.mc, func(file string) bool { return file == c.Models[0].File })
			var rec []Fit
			for _, f := range fits {
				if f.Recommended {
					rec = append(rec, f)
				}
				if tc.mc.TotalMemory > 0 && f.FitsMemory != (f.NeedsMemory <= tc.mc.TotalMemory) {
					t.Errorf("%s: fits %v with need %d of %d", f.ID, f.FitsMemory, f.NeedsMemory, tc.mc.TotalMemory)
				}
				if !strings.Contains(f.URL, "/"+f.Repo+"/resolve/"+f.Revision+"/") {
					t.Errorf("%s: URL %s", f.ID, f.URL)
				}
			}
			if !fits[0].Downloaded || fits[1].Downloaded {
				t.Errorf("downloaded flags wrong")
			}
			if tc.noneFits {
				if len(rec) != 0 {
					t.Errorf("recommended %v on a full disk", rec[0].ID)
				}
				return
			}
			if len(rec) != 1 {
				t.Fatalf("%d recommended", len(rec))
			}
			gb := float64(rec[0].SizeBytes) / (1 << 30)
			if gb > tc.maxRecGB || gb < tc.minRecGB || rec[0].Kind != "chat" {
				t.Errorf("recommended %s (%.1f GB)", rec[0].ID, gb)
			}
		})
	}
}

func TestCatalogFileOverride(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	m := c.Models[0]
	if u := c.URL(m); u != "https://huggingface.co/"+m.Repo+"/resolve/"+m.Revision+"/"+m.File {
		t.Errorf("URL %s", u)
	}
	m.Repo = "test/tiny-GGUF"
	for host, ok := range map[string]bool{"http://127.0.0.1:9": true, "http://localhost:9/": true, "http://example.com": false, "ftp://127.0.0.1": false} {
		b, _ := json.Marshal(Catalog{Version: 1, Host: host, Models: []CatalogModel{m}})
		path := filepath.Join(t.TempDir(), "catalog.json")
		os.WriteFile(path, b, 0o644)
		t.Setenv(EnvCatalogFile, path)
		got, err := LoadCatalog()
		if (err == nil) != ok {
			t.Errorf("host %s: err = %v", host, err)
			continue
		}
		if ok && (len(got.Models) != 1 || !strings.HasPrefix(got.URL(got.Models[0]), strings.TrimRight(host, "/")+"/test/tiny-GGUF/resolve/")) {
			t.Errorf("host %s: %+v", host, got)
		}
	}
}
