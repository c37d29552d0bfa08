package llama

// The llama.cpp and ggml sources come from the pinned ollama module; these
// imports only link them in. Include paths come from CGO_CPPFLAGS (Makefile).
import (
	_ "github.com/ollama/ollama/llama/llama.cpp/src"
	_ "github.com/ollama/ollama/ml/backend/ggml/ggml/src"
)
