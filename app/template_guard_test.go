package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
)

// TestCLIRunawayTemplateIsOneSentence: a model file whose chat template
// doubles a string without end (unguarded, it takes the machine's memory)
// ends the engine worker with the reason, and the CLI says it in one
// sentence; the app lives on.
func TestCLIRunawayTemplateIsOneSentence(t *testing.T) {
	const runaway = `{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}`
	model := testmodel.Tiny(t, runaway)
	cmd := chapelCmd(t.TempDir(), "chat", "--model", model, "Hello")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("chat succeeded on a runaway template: %q", stdout.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	want := "chapel: the engine stopped: exit status 3: fatal: the model's chat template took over 512 MB of memory"
	if len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Errorf("stderr:\n%s\nwant one line starting %q", stderr.String(), want)
	}
	t.Log(lines[0])
}
