package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
)

// TestCLIRunawayTemplateIsOneSentence: a model file whose chat template
// doubles a string without end (unguarded, it takes the machine's memory)
// ends the process that renders it with the reason, in one sentence: the
// engine worker under `chapel chat` (the app lives on and reports it), and
// `chapel prompt` and `chapel bench`, which render in their own process.
func TestCLIRunawayTemplateIsOneSentence(t *testing.T) {
	const runaway = `{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}`
	model := testmodel.Tiny(t, runaway)
	conv := filepath.Join(t.TempDir(), "conversation.json")
	if err := os.WriteFile(conv, []byte(`{"messages": [{"role": "user", "content": "Hello"}], "add_generation_prompt": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const reason = "fatal: the model's chat template took over 512 MB of memory"
	for _, tc := range []struct {
		name string
		args []string
		want string // the start of the one line on stderr
	}{
		{"chat, through the engine worker", []string{"chat", "--model", model, "Hello"}, "chapel: the engine stopped: exit status 3: " + reason},
		{"prompt, in its own process", []string{"prompt", "--model", model, conv}, reason},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := chapelCmd(t.TempDir(), tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if err == nil {
				t.Fatalf("%s succeeded on a runaway template: %q", tc.args[0], stdout.String())
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) {
				t.Errorf("stderr:\n%s\nwant one line starting %q", stderr.String(), tc.want)
			}
			if tc.args[0] == "prompt" && cmd.ProcessState.ExitCode() != exitTemplateRunaway {
				t.Errorf("exit status %d, want %d", cmd.ProcessState.ExitCode(), exitTemplateRunaway)
			}
			t.Log(lines[0])
		})
	}
}
