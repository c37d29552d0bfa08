package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// TestChatFlagsInRange: sampling flags out of range are refused before
// anything runs; a negative one used to mean "not given" and was ignored.
func TestChatFlagsInRange(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		inStderr string
	}{
		{"negative temperature", []string{"--temperature", "-5"}, "--temperature must be between 0 and 5"},
		{"temperature too high", []string{"--temperature", "5.5"}, "--temperature must be between 0 and 5"},
		{"negative max tokens", []string{"--max-tokens", "-1"}, "--max-tokens must be 0 (no limit) or more"},
		{"negative seed", []string{"--seed", "-3"}, "--seed must be 0 or more"},
		{"not a number", []string{"--max-tokens", "abc"}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runChapel(t, append(append([]string{"chat"}, tt.args...), "hello")...)
			if code != 2 || !strings.Contains(errOut, tt.inStderr) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tt.inStderr)
			}
		})
	}
}

// TestServeFlagsInRange: serve refuses a negative thread count or context
// size before it opens anything; they used to start the server.
func TestServeFlagsInRange(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		inStderr string
	}{
		{"negative threads", []string{"--threads", "-3"}, "--threads must be 0 (automatic) or more"},
		{"negative context", []string{"--context", "-5"}, "--context must be 0 (the model's own) or more"},
		{"port out of range", []string{"--port", "70000"}, "--port must be between 0 and 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runChapel(t, append([]string{"serve"}, tt.args...)...)
			if code != 2 || !strings.Contains(errOut, tt.inStderr) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tt.inStderr)
			}
		})
	}
}

// TestExportOutRefusals: export says what is wrong with --out before it
// writes anything; a folder used to fail with "rename /.chapel-export-…".
func TestExportOutRefusals(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		inStderr string
	}{
		{"a folder for the archive", []string{"--out", dir}, "is a folder; give --out a file name, e.g. " + filepath.Join(dir, "chapel-export.zip")},
		{"a folder for one conversation", []string{"--conversation", "3", "--format", "json", "--out", dir}, filepath.Join(dir, "chapel-conversation-3.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runChapel(t, append([]string{"export"}, tt.args...)...)
			if code != 2 || !strings.Contains(errOut, tt.inStderr) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tt.inStderr)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".chapel-export-*")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestChatSaysWhatWasNotRead: chat says on stderr when the model could not
// read all of the conversation (a message longer than its context, older
// messages left out), as the window's status bar does; it said nothing.
func TestChatSaysWhatWasNotRead(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real model")
	}
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	tests := []struct {
		name     string
		message  string
		inStderr string
	}{
		{"a message that fits", "the cat", ""},
		{"a message longer than the context", strings.Repeat("the cat sat on the mat ", 800), "its first "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runChapel(t, "chat", "--model", model, "--max-tokens", "2", tt.message)
			said := strings.Contains(errOut, "tokens were not read")
			if code != 0 || said != (tt.inStderr != "") || !strings.Contains(errOut, tt.inStderr) {
				t.Errorf("exit %d, stderr %q; want exit 0 and %q", code, errOut, tt.inStderr)
			}
		})
	}
}

// TestCLIOnADamagedDatabase: a command on a damaged database says where to
// recover it (the window's damaged screen), not only that it is damaged.
func TestCLIOnADamagedDatabase(t *testing.T) {
	home, _ := damagedHome(t)
	out := filepath.Join(t.TempDir(), "all.zip")
	for _, args := range [][]string{{"export", "--out", out}, {"search", "trip"}} {
		out, err := chapelCmd(home, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "is damaged") || !strings.Contains(string(out), "Open Chapel's window: it offers to recover") {
			t.Errorf("chapel %s: %v, %q; want the damage and where to recover", strings.Join(args, " "), err, out)
		}
	}
}

// TestExportToDevNull: /dev/null is a character device but no terminal:
// the archive goes there (it was refused as "a terminal cannot show").
func TestExportToDevNull(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	cmd := chapelCmd(t.TempDir(), "export")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = null, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("chapel export > %s: %v %q", os.DevNull, err, stderr.String())
	}
}
