package models

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
)

// synthModel writes a tiny real GGUF with the given chat template.
func synthModel(t *testing.T, path, tmpl string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := gguf.WriteSynthetic(path, gguf.Shapes["tiny"], gguf.SynthOptions{Type: gguf.F32, Seed: 3, ChatTemplate: tmpl}); err != nil {
		t.Fatal(err)
	}
}

const thinkTemplate = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n<think>\n"

// layout builds every other app's store under a fake home for goos and
// returns the entries each should produce: name → app.
func layout(t *testing.T, goos, home string) map[string]string {
	t.Helper()
	j := filepath.Join
	want := map[string]string{}
	var appData, local, cache string
	switch goos {
	case "windows":
		appData, local, cache = j(home, "AppData", "Roaming"), j(home, "AppData", "Local"), j(home, "AppData", "Local")
	case "darwin":
		appData, local, cache = j(home, "Library", "Application Support"), j(home, "Library", "Application Support"), j(home, "Library", "Caches")
	default:
		appData, local, cache = j(home, ".local", "share"), j(home, ".local", "share"), j(home, ".cache")
	}

	// Ollama: a manifest names the model layer's blob; other layers are not models.
	oll := j(home, ".ollama", "models")
	blob := j(oll, "blobs", "sha256-"+strings.Repeat("ab", 32))
	synthModel(t, blob, thinkTemplate)
	writeFile(t, j(oll, "blobs", "sha256-"+strings.Repeat("cd", 32)), []byte(`{"template":"x"}`))
	manifest := map[string]any{"schemaVersion": 2, "layers": []map[string]string{
		{"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + strings.Repeat("cd", 32)},
		{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + strings.Repeat("ab", 32)},
	}}
	mb, _ := json.Marshal(manifest)
	writeFile(t, j(oll, "manifests", "registry.ollama.ai", "library", "qwen3", "0.6b"), mb)
	writeFile(t, j(oll, "manifests", "hf.co", "bartowski", "Llama-GGUF", "Q4_K_M"), mb)
	want["qwen3:0.6b"] = AppOllama
	// The same blob under a second, longer name is listed once, as qwen3:0.6b.
	// LM Studio: publisher/repo/file.gguf, in both of its folders.
	synthModel(t, j(home, ".lmstudio", "models", "lmstudio-community", "Phi-GGUF", "phi.gguf"), "<|user|>{{ x }}<|end|><|assistant|>")
	synthModel(t, j(home, ".cache", "lm-studio", "models", "TheBloke", "old-GGUF", "old.gguf"), "")
	want["phi"], want["old"] = AppLMStudio, AppLMStudio
	// Jan: its data folder's models/<id>/model.gguf, and the old ~/jan.
	synthModel(t, j(appData, "Jan", "data", "models", "gemma-1b", "model.gguf"), "<start_of_turn>user")
	synthModel(t, j(home, "jan", "models", "mistral", "mistral-7b.gguf"), "[INST] {{ x }} [/INST]")
	want["model"], want["mistral-7b"] = AppJan, AppJan
	// GPT4All: flat.
	synthModel(t, j(local, "nomic.ai", "GPT4All", "Llama-3.2-1B-Instruct-Q4_0.gguf"), "<|start_header_id|>user<|end_header_id|>")
	want["Llama-3.2-1B-Instruct-Q4_0"] = AppGPT4All
	// Hugging Face cache: snapshots link to blobs; two snapshots share one blob.
	hf := j(home, ".cache", "huggingface", "hub", "models--Qwen--Qwen2.5-0.5B-Instruct-GGUF")
	hblob := j(hf, "blobs", strings.Repeat("ef", 32))
	synthModel(t, hblob, "<|im_start|>")
	for _, rev := range []string{strings.Repeat("1", 40), strings.Repeat("2", 40)} {
		link := j(hf, "snapshots", rev, "qwen2.5-0.5b-instruct-q4_k_m.gguf")
		os.MkdirAll(filepath.Dir(link), 0o755)
		if err := os.Symlink(hblob, link); err != nil {
			t.Fatal(err)
		}
	}
	want["Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m"] = AppHuggingFace
	// llama.cpp's cache: flat files named after repo and file.
	synthModel(t, j(cache, "llama.cpp", "ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M.gguf"), "<start_of_turn>")
	writeFile(t, j(cache, "llama.cpp", "ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M.gguf.json"), []byte("{}"))
	want["ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M"] = AppLlamaCpp
	return want
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoverOtherApps(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			home := t.TempDir()
			want := layout(t, goos, home)
			stores := OtherStores(Env{GOOS: goos, Home: home})
			got := map[string]string{}
			var entries []Entry
			for _, e := range Discover(context.Background(), stores) {
				if !e.Valid {
					t.Errorf("%s (%s) not valid: %s", e.Name, e.App, e.Problem)
				}
				got[e.Name] = e.App
				entries = append(entries, e)
				if e.Source != AppLabels[e.App] {
					t.Errorf("%s: source %q for app %q", e.Name, e.Source, e.App)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("found\n %v\nwant\n %v", sorted(got), sorted(want))
			}
			// Nothing was copied: each entry points into the app's own store.
			for _, e := range entries {
				if !strings.HasPrefix(e.Path, home) {
					t.Errorf("%s points outside the fake home: %s", e.Name, e.Path)
				}
				if e.App == AppOllama && !strings.Contains(e.Path, filepath.Join("blobs", "sha256-")) {
					t.Errorf("ollama entry %s is not its blob: %s", e.Name, e.Path)
				}
			}
		})
	}
}

func sorted(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, v+":"+k)
	}
	sort.Strings(out)
	return out
}

func TestOtherStoresFollowVariables(t *testing.T) {
	env := map[string]string{"OLLAMA_MODELS": "/srv/ollama", "HF_HOME": "/srv/hf", "LLAMA_CACHE": "/srv/llama"}
	stores := OtherStores(Env{GOOS: "linux", Home: "/home/u", Getenv: func(k string) string { return env[k] }})
	has := func(app, dir string) bool {
		for _, s := range stores {
			if s.App == app && s.Dir == dir {
				return true
			}
		}
		return false
	}
	for app, dir := range map[string]string{AppOllama: "/srv/ollama", AppHuggingFace: "/srv/hf/hub", AppLlamaCpp: "/srv/llama", AppLMStudio: "/home/u/.lmstudio/models"} {
		if !has(app, dir) {
			t.Errorf("no %s store at %s in %v", app, dir, stores)
		}
	}
}

func TestListDescribesModels(t *testing.T) {
	home := t.TempDir()
	layout(t, "linux", home)
	own := t.TempDir()
	synthModel(t, filepath.Join(own, "mine.gguf"), "")
	// The same file linked into Chapel's folder is listed once, as Chapel's.
	if err := os.Symlink(filepath.Join(home, ".lmstudio", "models", "lmstudio-community", "Phi-GGUF", "phi.gguf"), filepath.Join(own, "phi-link.gguf")); err != nil {
		t.Fatal(err)
	}
	es, err := List(context.Background(), []string{own}, OtherStores(Env{GOOS: "linux", Home: home}))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Entry{}
	for _, e := range es {
		by[e.Name] = e
	}
	if _, dup := by["phi"]; dup {
		t.Error("a file linked into Chapel's folder was listed twice")
	}
	cases := []struct {
		name, app, family string
		reasoning         bool
	}{
		{"mine", AppChapel, "", false},
		{"phi-link", AppChapel, "phi", false},
		{"qwen3:0.6b", AppOllama, "qwen3", true},
		{"mistral-7b", AppJan, "mistral", false},
		{"Llama-3.2-1B-Instruct-Q4_0", AppGPT4All, "llama-3", false},
		{"Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m", AppHuggingFace, "chatml", false},
		{"model", AppJan, "gemma", false},
	}
	s := gguf.Shapes["tiny"]
	for _, c := range cases {
		e, ok := by[c.name]
		if !ok {
			t.Errorf("%s not listed", c.name)
			continue
		}
		if e.App != c.app || e.TemplateFamily != c.family || e.Reasoning != c.reasoning {
			t.Errorf("%s: app %q family %q reasoning %v; want %q %q %v", c.name, e.App, e.TemplateFamily, e.Reasoning, c.app, c.family, c.reasoning)
		}
		if e.Architecture != "llama" || e.Quantization != "F32" || e.ContextLength != s.ContextLen || e.Params == 0 || e.NeedsMemory <= e.SizeBytes/2 {
			t.Errorf("%s: details %+v", c.name, e.Details)
		}
		if !e.FitsMemory {
			t.Errorf("%s: a tiny model does not fit in memory?", c.name)
		}
	}
}
