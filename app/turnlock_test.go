package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

var conversationLine = regexp.MustCompile(`conversation: (\d+)`)

// chatCLI runs `chapel chat` and returns its stdout, stderr and error.
func chatCLI(home string, args ...string) (string, string, error) {
	cmd := chapelCmd(home, append([]string{"chat"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// firstTurn starts a conversation with the CLI and returns its id.
func firstTurn(t *testing.T, home, model string) int64 {
	t.Helper()
	_, stderr, err := chatCLI(home, "--model", model, "--max-tokens", "8", "Hello")
	m := conversationLine.FindStringSubmatch(stderr)
	if err != nil || m == nil {
		t.Fatalf("first turn: %v\n%s", err, stderr)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// A reply in a conversation that another process is answering in is
// refused with a sentence, and works once that process lets go.
func TestConversationBusyInAnotherProcess(t *testing.T) {
	home := t.TempDir()
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	id := firstTurn(t, home, model)

	release, ok, err := paths.TryLockConversation(home, id) // this test process plays the other Chapel
	if !ok || err != nil {
		t.Fatalf("lock: %v, %v", ok, err)
	}
	_, stderr, err := chatCLI(home, "--conversation", fmt.Sprint(id), "--max-tokens", "8", "Again")
	var exit *exec.ExitError
	if err == nil || !strings.Contains(stderr, "answering in another Chapel") {
		t.Errorf("chat while another process answers: %v\n%s", err, stderr)
	} else if errors.As(err, &exit) && exit.ExitCode() != 1 {
		t.Errorf("exit code %d", exit.ExitCode())
	}
	release()
	if _, stderr, err := chatCLI(home, "--conversation", fmt.Sprint(id), "--max-tokens", "8", "Again"); err != nil {
		t.Errorf("chat after the other process let go: %v\n%s", err, stderr)
	}
	// The refused turn left nothing behind: two turns, each a question and its reply.
	checkTurns(t, home, id, 2)
}

// Two CLI processes continuing one conversation at once: one answers, the
// other is refused or waits its turn; turns never interleave.
func TestTwoProcessesOneConversation(t *testing.T) {
	home := t.TempDir()
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	id := firstTurn(t, home, model)
	turns, refused := 1, 0
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		stderrs := make([]string, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, stderrs[i], errs[i] = chatCLI(home, "--conversation", fmt.Sprint(id), "--max-tokens", "400", fmt.Sprintf("Question %d.%d", round, i))
			}()
		}
		wg.Wait()
		for i := range 2 {
			switch {
			case errs[i] == nil:
				turns++
			case strings.Contains(stderrs[i], "answering in another Chapel"):
				refused++
			default:
				t.Fatalf("round %d, process %d: %v\n%s", round, i, errs[i], stderrs[i])
			}
		}
	}
	t.Logf("%d turns answered, %d refused", turns-1, refused)
	checkTurns(t, home, id, turns)
}

// checkTurns checks that the conversation is n turns, each a question and
// then its complete reply, each question following the reply before it.
func checkTurns(t *testing.T, home string, id int64, n int) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(home, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.ConversationDetail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Messages) != 2*n {
		t.Fatalf("%d messages, want %d turns", len(d.Messages), n)
	}
	for i, m := range d.Messages {
		wantRole := []string{"user", "assistant"}[i%2]
		if m.Role != wantRole || m.Status != store.StatusComplete {
			t.Errorf("message %d: %s %s, want a complete %s message", i, m.Role, m.Status, wantRole)
		}
		// A question asked while the reply before it was still being
		// written was built on half of that reply.
		if prev := i - 1; m.Role == "user" && prev >= 0 && m.CreatedAt < d.Messages[prev].UpdatedAt {
			t.Errorf("message %d (%q) was saved at %d, before the reply it follows was finished (%d)",
				i, m.Content, m.CreatedAt, d.Messages[prev].UpdatedAt)
		}
	}
}
