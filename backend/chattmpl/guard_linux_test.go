package chattmpl

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Templates that run away with memory: a string doubled 40 times, one of
// 2 GB at once, a macro that calls itself (unguarded, until Go's 1 GB
// stack limit ends the process). A single request for more than the
// machine has (`'a' * 10**12`) cannot be caught: Go ends the process at
// once with "out of memory", which the app reports as the engine's end.
// peak bounds the child's memory where the growth comes in steps; one
// allocation of 2 GB is as large as it is when the guard sees it (how much
// of it was written by then depends on the machine's load).
var runaways = []struct {
	name, src string
	peak      int64
}{
	{"doubling", `{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}`, 768 << 20},
	{"repeat", `{{ ('a' * 2000000000)|length }}`, 0},
	{"recursion", `{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}`, 768 << 20},
}

// TestRenderGuardEndsARunaway: in a child process (as in the engine
// worker), a guarded render that doubles a string is ended by the guard
// soon after its heap passes the limit, long before the machine's memory.
func TestRenderGuardEndsARunaway(t *testing.T) {
	for i, r := range runaways {
		t.Run(r.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRunaway$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("CHAPEL_TEST_RUNAWAY=%d", i))
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 3 || !strings.Contains(string(out), "runaway: grew") {
				t.Fatalf("the child ended with %v, want exit status 3 from the guard; it printed:\n%.2000s", err, out)
			}
			// ru_maxrss is in kilobytes on Linux. The guard fires past 64 MB;
			// a string being doubled then is at most a few times that.
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			if r.peak > 0 && rss > r.peak {
				t.Errorf("the child reached %d MB before the guard ended it", rss>>20)
			}
			t.Logf("%s; the child's peak memory %d MB", strings.TrimSpace(string(out)), rss>>20)
		})
	}
}

func TestHelperRunaway(t *testing.T) {
	i, err := strconv.Atoi(os.Getenv("CHAPEL_TEST_RUNAWAY"))
	if err != nil {
		t.Skip("run by TestRenderGuardEndsARunaway")
	}
	// Should the guard fail, the child fails for lack of address space
	// long before it takes the machine's memory (not under the race
	// detector, whose shadow memory is larger).
	if !raceOn {
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: 4 << 30, Max: 4 << 30}); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	}
	SetRenderGuard(64<<20, func(grew uint64) {
		fmt.Printf("runaway: grew %d MB\n", grew>>20)
		os.Exit(3)
	})
	tp, err := Parse(runaways[i].src, "", "")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	got, err := tp.Render([]Message{{Role: "user", Content: "hi"}}, Options{})
	fmt.Printf("the render ended unguarded: %.40q, %v\n", got, err)
	os.Exit(1)
}

// TestRenderGuardLeavesRealTemplatesAlone: real renders stay far below a
// guard's limit, and a render's guard stops with it.
func TestRenderGuardLeavesRealTemplatesAlone(t *testing.T) {
	fired := make(chan uint64, 1)
	SetRenderGuard(64<<20, func(grew uint64) { fired <- grew })
	t.Cleanup(func() { SetRenderGuard(0, nil) })
	src := `{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}`
	tp, err := Parse(src, "", "")
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{Role: "system", Content: strings.Repeat("Be brief. ", 500)}, {Role: "user", Content: "hi"}}
	for range 200 {
		if _, err := tp.Render(msgs, Options{AddGenerationPrompt: true}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case grew := <-fired:
		t.Fatalf("the guard fired on a real template (grew %d bytes)", grew)
	default:
	}
}
