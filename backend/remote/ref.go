package remote

import "strings"

// refPrefix marks a model reference that names an endpoint's model rather
// than a .gguf file.
const refPrefix = "endpoint:"

// Ref names a model on an endpoint: how a conversation remembers that it
// ran there ("endpoint:ID/MODEL"; the model name may hold slashes).
type Ref struct {
	Endpoint string
	Model    string
}

func (r Ref) String() string { return refPrefix + r.Endpoint + "/" + r.Model }

// ParseRef reads a Ref; ok is false for anything else (a model file's path).
func ParseRef(s string) (Ref, bool) {
	rest, ok := strings.CutPrefix(s, refPrefix)
	if !ok {
		return Ref{}, false
	}
	id, model, ok := strings.Cut(rest, "/")
	if !ok || id == "" || model == "" {
		return Ref{}, false
	}
	return Ref{Endpoint: id, Model: model}, true
}

// IsRef reports whether s names an endpoint's model.
func IsRef(s string) bool { return strings.HasPrefix(s, refPrefix) }
