package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
)

// goldenTemplates holds real templates and Hugging Face's renderings.
const goldenTemplates = "../../shared/templates"

// TestPromptCommandGolden runs `chapel prompt` (this test binary as the
// CLI) on golden cases and wants Hugging Face's output byte for byte.
func TestPromptCommandGolden(t *testing.T) {
	if _, err := os.Stat(filepath.Join(goldenTemplates, "golden.json")); err != nil {
		t.Skipf("no template fixtures at %s (../shared is absent): %v", goldenTemplates, err)
	}
	var golden map[string]json.RawMessage
	var cases []map[string]any
	readJSON(t, filepath.Join(goldenTemplates, "golden.json"), &golden)
	readJSON(t, filepath.Join(goldenTemplates, "cases.json"), &cases)
	caseByID := map[string]map[string]any{}
	for _, c := range cases {
		caseByID[c["id"].(string)] = c
	}
	tests := []struct {
		family, caseID string
		flags          []string
	}{
		{"qwen2.5-instruct", "system_multi_turn_gen", []string{"--eos", "<|im_end|>"}},
		{"qwen3", "think_in_history_gen", []string{"--eos", "<|im_end|>"}},
		{"qwen3", "enable_thinking_false_gen", []string{"--eos", "<|im_end|>"}},
		{"llama-3.2-instruct", "unicode_markdown_gen", []string{"--bos", "<|begin_of_text|>", "--eos", "<|eot_id|>", "--now", "2025-03-08T12:00:00Z"}},
		{"mistral-nemo-instruct-2407", "multi_turn_nogen", []string{"--bos", "<s>", "--eos", "</s>"}},
		{"deepseek-r1-distill-qwen", "user_single_gen", []string{"--bos", "<｜begin▁of▁sentence｜>", "--eos", "<｜end▁of▁sentence｜>"}},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.family+"/"+tc.caseID, func(t *testing.T) {
			var fam map[string]struct {
				Output *string `json:"output"`
			}
			if err := json.Unmarshal(golden[tc.family], &fam); err != nil {
				t.Fatal(err)
			}
			want := fam[tc.caseID].Output
			if want == nil {
				t.Fatalf("golden %s/%s has no output", tc.family, tc.caseID)
			}
			c := caseByID[tc.caseID]
			conv := map[string]any{"messages": c["messages"], "add_generation_prompt": c["add_generation_prompt"]}
			if kw, ok := c["kwargs"].(map[string]any); ok {
				for k, v := range kw {
					conv[k] = v
				}
			}
			convPath := writeJSON(t, dir, tc.family+"-"+tc.caseID+".json", conv)
			args := append([]string{"prompt", "--template", filepath.Join(goldenTemplates, tc.family+".jinja")}, tc.flags...)
			out, errOut, code := runChapel(t, append(args, convPath)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if out != *want {
				t.Errorf("output differs\n got %q\nwant %q", out, *want)
			}
		})
	}
}

// TestPromptCommand covers the model's own template and tokens, a
// conversation the template rejects, and usage errors.
func TestPromptCommand(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "chat.gguf")
	tmpl := "{{ bos_token }}{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
		"[{{ m.role }}] {{ m.content }}{{ eos_token }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}"
	if err := gguf.WriteSynthetic(model, gguf.Shapes["tiny"], gguf.SynthOptions{Type: gguf.F32, Seed: 1, ChatTemplate: tmpl}); err != nil {
		t.Fatal(err)
	}
	tmplFile := filepath.Join(dir, "t.jinja")
	if err := os.WriteFile(tmplFile, []byte(tmpl), 0o600); err != nil {
		t.Fatal(err)
	}
	user := writeJSON(t, dir, "user.json", map[string]any{"messages": []map[string]string{{"role": "user", "content": "Hi"}}})
	system := writeJSON(t, dir, "system.json", map[string]any{"messages": []map[string]string{{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}},
		"add_generation_prompt": false})
	tests := []struct {
		name     string
		args     []string
		code     int
		out      string
		inStderr string
	}{
		{"tokens from the model", []string{"prompt", "--model", model, user}, 0, "<s>[user] Hi</s>\n[assistant] ", ""},
		{"a template file without tokens", []string{"prompt", "--template", tmplFile, user}, 0, "[user] Hi\n[assistant] ", ""},
		{"flags after the file", []string{"prompt", user, "--template", tmplFile, "--bos", "B", "--eos", "E"}, 0, "B[user] HiE\n[assistant] ", ""},
		{"a rejected system prompt is folded in", []string{"prompt", "--model", model, system}, 0, "<s>[user] Be brief.\n\nHi</s>\n", "System role not supported"},
		{"no template", []string{"prompt", user}, 2, "", "--template"},
		{"both sources", []string{"prompt", "--template", tmplFile, "--model", model, user}, 2, "", "--template"},
		{"not a conversation", []string{"prompt", "--template", tmplFile, tmplFile}, 1, "", "not JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runChapel(t, tc.args...)
			if code != tc.code || out != tc.out || !strings.Contains(errOut, tc.inStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q", code, out, errOut, tc.code, tc.out, tc.inStderr)
			}
		})
	}
}

func runChapel(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := chapelCmd(t.TempDir(), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code <= 0 {
		t.Fatalf("run chapel: %v", err)
	}
	return out.String(), errb.String(), code
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
