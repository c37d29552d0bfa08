package app

import (
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/store"
)

// TestProgressWords: the progress and stop lines of summarize say what
// happened in words that are true for any file: a small file is not
// "0 of 0 MB", a summary stopped before its plan is not "0 of 0 steps …
// saved", one passage is not "1 passages".
func TestProgressWords(t *testing.T) {
	bytes := []struct {
		done, total int64
		want        string
	}{
		{0, 27, "0 of 27 B"},
		{0, 40 << 10, "0 of 40 KB"},
		{3 << 10, 40<<10 + 100, "3 of 40 KB"},
		{0, 249 << 20, "0 of 249 MB"},
		{12<<20 + 5, 250 << 20, "12 of 250 MB"},
	}
	for _, b := range bytes {
		if got := bytesOf(b.done, b.total); got != b.want {
			t.Errorf("bytesOf(%d, %d) = %q, want %q", b.done, b.total, got, b.want)
		}
	}
	stops := []struct {
		done, total int
		want        string
	}{
		{0, 0, "stopped before the summary of a.txt began; the document is saved — run again"},
		{0, 12, "stopped; 0 of 12 steps of the summary of a.txt are saved — run again"},
		{5, 12, "stopped; 5 of 12 steps of the summary of a.txt are saved — run again"},
	}
	for _, s := range stops {
		if got := stoppedLine("a.txt", s.done, s.total, "run again"); got != s.want {
			t.Errorf("stoppedLine(%d, %d) = %q, want %q", s.done, s.total, got, s.want)
		}
	}
	sizes := []struct {
		doc  store.Document
		want string
	}{
		{store.Document{Chunks: 1}, "1 passage"},
		{store.Document{Chunks: 3}, "3 passages"},
		{store.Document{Pages: 1, Chunks: 1}, "1 page, 1 passage"},
		{store.Document{Pages: 4, Chunks: 9}, "4 pages, 9 passages"},
	}
	for _, s := range sizes {
		if got := docSize(s.doc); got != s.want {
			t.Errorf("docSize(%+v) = %q, want %q", s.doc, got, s.want)
		}
	}
	names := map[string]string{"report.pdf": "report.pdf", "/home/me/docs/report.pdf": "report.pdf", "docs/a b.txt": "a b.txt"}
	for in, want := range names {
		if got := fileLabel(in); got != want {
			t.Errorf("fileLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTemplateLine: chat says which way its prompts are written, as the
// window's status bar does, and nothing for an endpoint (its server
// applies its own template).
func TestTemplateLine(t *testing.T) {
	cases := []struct {
		name string
		info engine.ModelInfo
		want string
	}{
		{"jinja", engine.ModelInfo{HasTemplate: true, TemplateMode: engine.TemplateJinja},
			"the model's template: prompts are written with the model's own chat template, exactly as it was trained"},
		{"builtin", engine.ModelInfo{HasTemplate: true, TemplateMode: engine.TemplateBuiltin},
			"built-in template: the model's template could not be read; llama.cpp's built-in formatting for it is used instead"},
		{"none", engine.ModelInfo{TemplateMode: engine.TemplatePlain},
			"plain completion (no chat template): this model has no chat template, so Chapel continues your text as plain completion"},
		{"unusable", engine.ModelInfo{TemplateMode: engine.TemplatePlain, TemplateUnusable: true},
			"plain completion (its chat template could not be used): this model's chat template is damaged or refuses every conversation, so Chapel set it aside and continues your text as plain completion"},
		{"endpoint", engine.ModelInfo{HasTemplate: true}, ""},
	}
	for _, c := range cases {
		if got := templateLine(c.info); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestChatSaysTemplate: `chapel chat` says once, on stderr, how its
// prompts are written (it never said which template was in use); stdout
// holds the reply alone.
func TestChatSaysTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real model")
	}
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	out, errOut, code := runChapel(t, "chat", "--model", model, "--max-tokens", "2", "the cat")
	const want = "chapel: the model's template: prompts are written with the model's own chat template"
	if code != 0 || strings.Count(errOut, want) != 1 || strings.Contains(out, "template") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 and %q once on stderr", code, out, errOut, want)
	}
}
