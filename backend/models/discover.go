package models

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Where a model was found: Chapel's own folders, or another app's store.
const (
	AppChapel      = "chapel"
	AppOllama      = "ollama"
	AppLMStudio    = "lmstudio"
	AppJan         = "jan"
	AppGPT4All     = "gpt4all"
	AppHuggingFace = "huggingface"
	AppLlamaCpp    = "llamacpp"
)

// AppLabels are the names the window shows for each source.
var AppLabels = map[string]string{
	AppChapel: "Chapel", AppOllama: "Ollama", AppLMStudio: "LM Studio", AppJan: "Jan",
	AppGPT4All: "GPT4All", AppHuggingFace: "Hugging Face cache", AppLlamaCpp: "llama.cpp cache",
}

// Store is a folder where another app keeps its models.
type Store struct {
	App string
	Dir string
}

// Env is what locating the other apps' stores depends on; OtherStores
// takes it as an argument so tests can build each layout under a fake home
// for any operating system.
type Env struct {
	GOOS   string
	Home   string              // the user's home folder
	Getenv func(string) string // nil: no variables
}

// CurrentEnv is this process's environment.
func CurrentEnv() Env {
	home, _ := os.UserHomeDir()
	return Env{GOOS: runtime.GOOS, Home: home, Getenv: os.Getenv}
}

func (e Env) get(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

// OtherStores lists where Ollama, LM Studio, Jan, GPT4All, the Hugging Face
// cache and llama.cpp's cache keep models on e's operating system.
func OtherStores(e Env) []Store {
	h := e.Home
	j := filepath.Join
	var out []Store
	add := func(app string, dirs ...string) {
		for _, d := range dirs {
			if d != "" {
				out = append(out, Store{app, d})
			}
		}
	}
	// Per-OS application-data and cache folders.
	var appData, localAppData, cache string
	switch e.GOOS {
	case "windows":
		appData = firstNonEmpty(e.get("APPDATA"), j(h, "AppData", "Roaming"))
		localAppData = firstNonEmpty(e.get("LOCALAPPDATA"), j(h, "AppData", "Local"))
		cache = localAppData
	case "darwin":
		appData = j(h, "Library", "Application Support")
		localAppData = appData
		cache = j(h, "Library", "Caches")
	default:
		appData = firstNonEmpty(e.get("XDG_DATA_HOME"), j(h, ".local", "share"))
		localAppData = appData
		cache = firstNonEmpty(e.get("XDG_CACHE_HOME"), j(h, ".cache"))
	}

	add(AppOllama, e.get("OLLAMA_MODELS"), j(h, ".ollama", "models"))
	if e.GOOS == "linux" {
		add(AppOllama, "/usr/share/ollama/.ollama/models") // the Linux service's store
	}
	add(AppLMStudio, j(h, ".lmstudio", "models"), j(h, ".cache", "lm-studio", "models"))
	add(AppJan, j(h, "jan", "models"), j(appData, "Jan", "data", "models"), j(appData, "Jan", "data", "llamacpp", "models"))
	if e.GOOS == "windows" {
		add(AppGPT4All, j(localAppData, "nomic.ai", "GPT4All"))
	} else {
		add(AppGPT4All, j(appData, "nomic.ai", "GPT4All"))
	}
	hf := e.get("HF_HUB_CACHE")
	if hf == "" && e.get("HF_HOME") != "" {
		hf = j(e.get("HF_HOME"), "hub")
	}
	add(AppHuggingFace, hf, j(h, ".cache", "huggingface", "hub"))
	add(AppLlamaCpp, e.get("LLAMA_CACHE"), j(cache, "llama.cpp"))
	if e.GOOS == "darwin" || e.GOOS == "windows" {
		add(AppLlamaCpp, j(h, ".cache", "llama.cpp"))
	}
	return dedupeStores(out)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func dedupeStores(in []Store) []Store {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		k := filepath.Clean(s.Dir)
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// Discover finds the GGUF models in the other apps' stores, without
// copying them: each Entry points at the file where the app keeps it.
func Discover(ctx context.Context, stores []Store) []Entry {
	var out []Entry
	for _, s := range stores {
		if ctx.Err() != nil {
			break
		}
		if fi, err := os.Stat(s.Dir); err != nil || !fi.IsDir() {
			continue
		}
		var found []Entry
		switch s.App {
		case AppOllama:
			found = discoverOllama(s.Dir)
		case AppHuggingFace:
			found = discoverHF(s.Dir)
		default:
			found = discoverTree(s.Dir, 4)
		}
		for i := range found {
			found[i].App = s.App
			found[i].Source = AppLabels[s.App]
		}
		out = append(out, found...)
	}
	return out
}

// ollamaManifest is the part of an Ollama manifest Chapel reads.
type ollamaManifest struct {
	Layers []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
	} `json:"layers"`
}

const ollamaModelLayer = "application/vnd.ollama.image.model"

// discoverOllama reads manifests/<registry>/<namespace>/<name>/<tag>: each
// names its model layer's blob (blobs/sha256-<hex>). The entry is named
// "name:tag" (or "namespace/name:tag" outside the library); a blob that
// several tags share is listed once, under its shortest name.
func discoverOllama(root string) []Entry {
	var out []Entry
	byBlob := map[string]int{}
	mroot := filepath.Join(root, "manifests")
	filepath.WalkDir(mroot, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(mroot, path)
		if err != nil {
			return nil
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 { // registry/namespace/name/tag
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) > 1<<20 {
			return nil
		}
		var m ollamaManifest
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		for _, l := range m.Layers {
			if l.MediaType != ollamaModelLayer {
				continue
			}
			hex, ok := strings.CutPrefix(l.Digest, "sha256:")
			if !ok || len(hex) != 64 || strings.ContainsAny(hex, `/\.`) {
				continue
			}
			blob := filepath.Join(root, "blobs", "sha256-"+hex)
			e, err := Inspect(blob)
			if err != nil {
				continue
			}
			name := parts[2] + ":" + parts[3]
			if parts[1] != "library" {
				name = parts[1] + "/" + name
			}
			if parts[0] != "registry.ollama.ai" {
				name = parts[0] + "/" + name
			}
			e.Name = name
			if i, ok := byBlob[blob]; ok {
				if len(name) < len(out[i].Name) {
					out[i].Name = name
				}
				continue
			}
			byBlob[blob] = len(out)
			out = append(out, e)
		}
		return nil
	})
	return out
}

// discoverHF reads models--<org>--<name>/snapshots/<rev>/**.gguf (links to
// blobs/<sha256>), naming each "org/name/file"; a file in several
// snapshots is listed once.
func discoverHF(root string) []Entry {
	var out []Entry
	repos, _ := os.ReadDir(root)
	for _, r := range repos {
		repo, ok := strings.CutPrefix(r.Name(), "models--")
		if !ok {
			continue
		}
		repo = strings.ReplaceAll(repo, "--", "/")
		snaps := filepath.Join(root, r.Name(), "snapshots")
		seen := map[string]bool{}
		revs, _ := os.ReadDir(snaps)
		for _, rev := range revs {
			for _, e := range discoverTree(filepath.Join(snaps, rev.Name()), 3) {
				real, err := filepath.EvalSymlinks(e.Path)
				if err != nil || seen[real] {
					continue
				}
				seen[real] = true
				e.Name = repo + "/" + e.Name
				out = append(out, e)
			}
		}
	}
	return out
}

// discoverTree lists the model files under root down to depth folders,
// following links to files (LM Studio, Jan and GPT4All keep plain files;
// some users link them).
func discoverTree(root string, depth int) []Entry {
	var out []Entry
	var walk func(dir string, left int)
	walk = func(dir string, left int) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		for _, d := range ents {
			if strings.HasPrefix(d.Name(), ".") {
				continue
			}
			p := filepath.Join(dir, d.Name())
			if isDir(p, d) {
				if left > 0 {
					walk(p, left-1)
				}
				continue
			}
			if !isModelName(d.Name()) {
				continue
			}
			if e, err := Inspect(p); err == nil {
				out = append(out, e)
			}
		}
	}
	walk(root, depth)
	return out
}
