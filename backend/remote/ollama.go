package remote

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Ollama runs a model with a context of its own choosing, and an
// OpenAI-compatible request cannot change it (its /v1 takes no num_ctx). A
// prompt longer than that context is cut to fit without an error, so a
// summary step planned for more would be summarised in part while the
// summary says it covered every page. Its /v1/models does not say the
// context either; its own API does, in three places.

// Ollama's default context when nothing else sets it: 2,048 tokens before
// v0.6.7, 4,096 from then on. From v0.15.5 the default grows with the GPU's
// memory (32,768 from 24 GiB, 262,144 from 48 GiB); the smallest is
// assumed, which costs a summary speed (shorter steps), never pages.
const (
	ollamaOldDefault = 2048
	ollamaDefault    = 4096
)

// ollamaContext is the context Ollama gives model name for a request that
// does not set one, or 0 when the server does not answer Ollama's
// GET /api/version. In order: the num_ctx of the model's Modelfile
// (POST /api/show), else the context the model is loaded with (GET /api/ps,
// after loading it when it is not: an empty POST /api/generate loads it
// with the defaults a /v1 request gets), else Ollama's default for its
// version; never more than the model was trained for (/api/show's
// model_info). A model loaded by another client with a num_ctx of its own
// shows that context in /api/ps although a /v1 request would reload it with
// the defaults (Ollama before v0.15 did); that case is not told apart.
func (e *Engine) ollamaContext(ctx context.Context, name string) int {
	var ver struct {
		Version string `json:"version"`
	}
	if err := e.getJSON(ctx, e.rootEndpoint("api/version"), &ver); err != nil || ver.Version == "" {
		return 0
	}
	set, trained := e.ollamaShow(ctx, name)
	n := set
	if n <= 0 {
		n = e.ollamaRunning(ctx, name)
	}
	if n <= 0 && e.ollamaLoad(ctx, name) {
		n = e.ollamaRunning(ctx, name)
	}
	if n <= 0 {
		n = ollamaDefault
		if versionBefore(ver.Version, 0, 6, 7) {
			n = ollamaOldDefault
		}
	}
	if trained > 0 && trained < n {
		n = trained
	}
	return n
}

// ollamaShow reads the num_ctx set in the model's Modelfile (0: none) and
// the context the model was trained for (0: not said).
func (e *Engine) ollamaShow(ctx context.Context, name string) (set, trained int) {
	b, err := json.Marshal(map[string]string{"model": name})
	if err != nil {
		return 0, 0
	}
	var show struct {
		Parameters string         `json:"parameters"`
		ModelInfo  map[string]any `json:"model_info"`
	}
	if err := e.sendJSON(ctx, http.MethodPost, e.rootEndpoint("api/show"), b, &show); err != nil {
		return 0, 0
	}
	// One parameter a line: its name, spaces, its value.
	for _, line := range strings.Split(show.Parameters, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "num_ctx" {
			if v, err := strconv.Atoi(f[1]); err == nil && v > 0 {
				set = v
			}
		}
	}
	for k, v := range show.ModelInfo {
		if f, ok := v.(float64); ok && strings.HasSuffix(k, ".context_length") && f > 0 {
			trained = int(f)
		}
	}
	return set, trained
}

// ollamaRunning is the context model name is loaded with now, 0 when it is
// not loaded or the server does not say (versions before the field).
func (e *Engine) ollamaRunning(ctx context.Context, name string) int {
	var ps struct {
		Models []struct {
			Name    string `json:"name"`
			Model   string `json:"model"`
			Context int    `json:"context_length"`
		} `json:"models"`
	}
	if err := e.getJSON(ctx, e.rootEndpoint("api/ps"), &ps); err != nil {
		return 0
	}
	for _, m := range ps.Models {
		if sameOllamaModel(m.Name, name) || sameOllamaModel(m.Model, name) {
			return m.Context
		}
	}
	return 0
}

// ollamaLoad asks Ollama to load model name with its defaults, as the
// first request would; false when it would not.
func (e *Engine) ollamaLoad(ctx context.Context, name string) bool {
	b, err := json.Marshal(map[string]any{"model": name, "stream": false})
	if err != nil {
		return false
	}
	var done struct {
		Done bool `json:"done"`
	}
	return e.sendJSON(ctx, http.MethodPost, e.rootEndpoint("api/generate"), b, &done) == nil && done.Done
}

// sameOllamaModel reports whether two Ollama model names are one model: a
// name without a tag means its "latest".
func sameOllamaModel(a, b string) bool {
	tagged := func(s string) string {
		if s != "" && !strings.Contains(s[strings.LastIndex(s, "/")+1:], ":") {
			return s + ":latest"
		}
		return s
	}
	return a != "" && tagged(a) == tagged(b)
}

// versionBefore reports whether version v ("0.6.7", "v0.15.5-rc1") is
// older than major.minor.patch; a version it cannot read is not.
func versionBefore(v string, major, minor, patch int) bool {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+ "); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	want := []int{major, minor, patch}
	for i, w := range want {
		n := 0 // "0.6" is 0.6.0
		if i < len(parts) {
			var err error
			if n, err = strconv.Atoi(parts[i]); err != nil {
				return false
			}
		}
		if n != w {
			return n < w
		}
	}
	return false
}
