package llama_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/llama"
)

// TestAMXOffByEnv: CHAPEL_AMX=off (0, false, any case), read once when llama.cpp is initialised,
// turns AMX off for the whole process; any other value leaves it on. Each
// case runs in a child process of this test binary, since Init runs once.
func TestAMXOffByEnv(t *testing.T) {
	if os.Getenv("CHAPEL_AMX_CHILD") == "1" {
		llama.Init()
		if llama.AMXOn() {
			os.Stdout.WriteString("amx on\n")
		} else {
			os.Stdout.WriteString("amx off\n")
		}
		return
	}
	for _, tc := range []struct{ env, want string }{
		{"off", "amx off"},
		{"", "amx on"},
		{"OFF", "amx off"},
		{"0", "amx off"},
		{"false", "amx off"},
		{"on", "amx on"},
		{"1", "amx on"},
	} {
		t.Run("CHAPEL_AMX="+tc.env, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestAMXOffByEnv$", "-test.count=1")
			cmd.Env = append(os.Environ(), "CHAPEL_AMX_CHILD=1", "CHAPEL_AMX="+tc.env)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want+"\n") {
				t.Errorf("CHAPEL_AMX=%q: want %q, the child said:\n%s", tc.env, tc.want, out)
			}
		})
	}
}
