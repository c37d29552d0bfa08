package chattmpl

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// goldenDir holds real model templates and what Hugging Face's Jinja
// rendering makes of 17 conversations (../shared/templates/README.md).
const goldenDir = "../../../shared/templates"

// goldenNow is the frozen clock golden.json was rendered with.
var goldenNow = time.Date(2025, 3, 8, 12, 0, 0, 0, time.UTC)

type goldenFamily struct {
	Template string  `json:"template"`
	BOS      *string `json:"bos_token"`
	EOS      *string `json:"eos_token"`
}

type goldenCase struct {
	ID                  string           `json:"id"`
	Messages            []map[string]any `json:"messages"`
	AddGenerationPrompt bool             `json:"add_generation_prompt"`
	Kwargs              map[string]any   `json:"kwargs"`
}

type goldenResult struct {
	Output *string `json:"output"`
	Error  string  `json:"error"`
}

// goldenFixtures loads the fixtures, or skips the test when ../shared is
// not beside the repository (a fresh clone).
func goldenFixtures(t *testing.T) (map[string]goldenFamily, []goldenCase, map[string]map[string]goldenResult) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(goldenDir, "golden.json")); err != nil {
		t.Skipf("no template fixtures at %s (../shared is absent): %v", goldenDir, err)
	}
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join(goldenDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var fams map[string]goldenFamily
	var cases []goldenCase
	var raw map[string]json.RawMessage
	read("families.json", &fams)
	read("cases.json", &cases)
	read("golden.json", &raw)
	golden := map[string]map[string]goldenResult{}
	for fam, body := range raw {
		if strings.HasPrefix(fam, "_") {
			continue
		}
		var m map[string]goldenResult
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("golden.json %s: %v", fam, err)
		}
		golden[fam] = m
	}
	return fams, cases, golden
}

func parseFamily(t *testing.T, f goldenFamily) *Template {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(goldenDir, f.Template))
	if err != nil {
		t.Fatal(err)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	tmpl, err := Parse(string(src), str(f.BOS), str(f.EOS))
	if err != nil {
		t.Fatalf("%s: %v", f.Template, err)
	}
	return tmpl
}

// TestGolden renders every case of golden.json with every family's
// template and wants Hugging Face's output byte for byte, or the error the
// template raises.
func TestGolden(t *testing.T) {
	fams, cases, golden := goldenFixtures(t)
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	total := 0
	for _, fam := range names {
		tmpl := parseFamily(t, fams[fam])
		wantReasoning := strings.HasPrefix(fam, "qwen3") || strings.HasPrefix(fam, "deepseek-r1")
		if tmpl.Reasoning() != wantReasoning {
			t.Errorf("%s: Reasoning() = %v, want %v", fam, tmpl.Reasoning(), wantReasoning)
		}
		for _, c := range cases {
			want, ok := golden[fam][c.ID]
			if !ok {
				t.Errorf("%s/%s: no golden result", fam, c.ID)
				continue
			}
			total++
			t.Run(fam+"/"+c.ID, func(t *testing.T) {
				msgs := make([]any, len(c.Messages))
				for i, m := range c.Messages {
					msgs[i] = m
				}
				vars := map[string]any{"messages": msgs, "add_generation_prompt": c.AddGenerationPrompt}
				for k, v := range c.Kwargs {
					vars[k] = v
				}
				got, err := tmpl.Execute(vars, goldenNow)
				if want.Output == nil {
					var te *TemplateError
					if !errors.As(err, &te) {
						t.Fatalf("want the template's error %q, got output %q, err %v", want.Error, got, err)
					}
					if te.Message != want.Error {
						t.Errorf("error %q, want %q", te.Message, want.Error)
					}
					return
				}
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if got != *want.Output {
					t.Errorf("output differs\n got %q\nwant %q", got, *want.Output)
				}
			})
		}
	}
	if total < 200 {
		t.Errorf("only %d golden cases ran", total)
	}
}

// TestGoldenAdapted: where a template rejects a golden conversation,
// RenderChat adapts it instead of failing, says so once, and keeps every
// message's words.
func TestGoldenAdapted(t *testing.T) {
	fams, cases, golden := goldenFixtures(t)
	adapted := 0
	for fam, f := range fams {
		tmpl := parseFamily(t, f)
		for _, c := range cases {
			if golden[fam][c.ID].Output != nil {
				continue
			}
			adapted++
			t.Run(fam+"/"+c.ID, func(t *testing.T) {
				var msgs []Message
				for _, m := range c.Messages {
					role, _ := m["role"].(string)
					content, _ := m["content"].(string)
					msgs = append(msgs, Message{Role: role, Content: content})
				}
				p, err := tmpl.RenderChat(msgs, Options{AddGenerationPrompt: c.AddGenerationPrompt, Now: goldenNow})
				if err != nil {
					t.Fatalf("RenderChat failed instead of adapting: %v", err)
				}
				if len(p.Adapted) == 0 || p.Note() == "" {
					t.Errorf("adapted %v, note %q: want the change reported", p.Adapted, p.Note())
				}
				for _, m := range msgs {
					if !strings.Contains(p.Text, strings.TrimSpace(m.Content)) {
						t.Errorf("the prompt lost %q:\n%s", m.Content, p.Text)
					}
				}
			})
		}
	}
	if adapted == 0 {
		t.Error("no golden case needed adapting")
	}
}

// TestGoldenContinue: a conversation that ends with a reply renders, for
// continuing it, as the golden rendering of that finished conversation cut
// right after the reply's text (no end of turn, no new turn), for every
// family.
func TestGoldenContinue(t *testing.T) {
	fams, cases, golden := goldenFixtures(t)
	for fam, f := range fams {
		tmpl := parseFamily(t, f)
		for _, c := range cases {
			want := golden[fam][c.ID].Output
			if c.AddGenerationPrompt || want == nil || len(c.Kwargs) > 0 || c.Messages[len(c.Messages)-1]["role"] != "assistant" {
				continue
			}
			var msgs []Message
			extra := false
			for _, m := range c.Messages {
				role, _ := m["role"].(string)
				content, _ := m["content"].(string)
				msgs = append(msgs, Message{Role: role, Content: content})
				extra = extra || len(m) > 2
			}
			last := msgs[len(msgs)-1].Content
			if extra || strings.Contains(last, "</think>") {
				continue // templates rewrite these replies' text: nothing to cut at
			}
			t.Run(fam+"/"+c.ID, func(t *testing.T) {
				p, err := tmpl.RenderChat(msgs, Options{AddGenerationPrompt: true, Now: goldenNow})
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(*want, p.Text) || !strings.HasSuffix(p.Text, strings.TrimSpace(last)) {
					t.Errorf("continuing gives\n%q\nwant a prefix of\n%q\nending with the reply", p.Text, *want)
				}
			})
		}
	}
}
