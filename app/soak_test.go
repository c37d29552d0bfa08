//go:build linux

package app

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// TestCrashSoak kills the CLI with SIGKILL 50 times in the middle of a
// reply, and the engine's worker 20 times, then checks what a person would:
// every message they sent is there, no reply is left "streaming" (the next
// Chapel marked the interrupted ones failed, their text kept), and SQLite's
// integrity check passes. Run with -v to see the figures.
func TestCrashSoak(t *testing.T) {
	const cliKills, workerKills = 50, 20
	home := t.TempDir()
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	start := time.Now()
	var sent []string
	kills := [2]int{} // of the CLI, of the worker
	for i := 0; kills[0] < cliKills || kills[1] < workerKills; i++ {
		if i >= 2*(cliKills+workerKills) {
			t.Fatalf("%d runs for %v kills: the replies end before they can be killed", i, kills)
		}
		msg := fmt.Sprintf("soak message %d", i)
		sent = append(sent, msg)
		which := 0
		if kills[0] >= cliKills {
			which = 1
		}
		killed, err := chatAndKill(t, home, model, msg, which == 1)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if killed {
			kills[which]++
		}
	}
	// One more Chapel on the folder: as the lock's owner it tidies what the
	// killed ones left.
	if out, err := chapelCmd(home, "conversations").CombinedOutput(); err != nil {
		t.Fatalf("chapel conversations after the kills: %v\n%s", err, out)
	}
	elapsed := time.Since(start)

	db, err := sql.Open("sqlite3", filepath.Join(home, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var integrity string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, msg := range sent {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM messages WHERE role = 'user' AND content = ?", msg).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			kept++
		} else {
			t.Errorf("%q is saved %d times", msg, n)
		}
	}
	var streaming, failed, withText int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE status = 'streaming'), count(*) FILTER (WHERE status = 'failed'),
		count(*) FILTER (WHERE status = 'failed' AND content != '') FROM messages WHERE role = 'assistant'`).Scan(&streaming, &failed, &withText); err != nil {
		t.Fatal(err)
	}
	t.Logf("crash soak: %d SIGKILLs of the CLI mid-reply, %d of the engine worker (%d runs), %.0f s: %d of %d messages kept, %d replies left streaming, %d replies failed (%d with their text so far), integrity_check %s",
		kills[0], kills[1], len(sent), elapsed.Seconds(), kept, len(sent), streaming, failed, withText, integrity)
	if kept != len(sent) || streaming != 0 || integrity != "ok" {
		t.Errorf("kept %d of %d, %d streaming, integrity %q", kept, len(sent), streaming, integrity)
	}
	if failed < workerKills {
		t.Errorf("%d failed replies; at least the %d whose worker was killed must be", failed, workerKills)
	}
}

// chatAndKill runs `chapel chat MSG` and, once the reply has started to
// stream, kills the CLI (or, with killWorker, its engine worker, and
// checks that the CLI says so in a sentence). killed is false when the
// reply ended before the kill.
func chatAndKill(t *testing.T, home, model, msg string, killWorker bool) (killed bool, err error) {
	cmd := chapelCmd(home, "chat", "--model", model, "--max-tokens", "4000", msg)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return false, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return false, err
	}
	exited := make(chan error, 1)
	streamed := make(chan struct{})
	go func() {
		buf := make([]byte, 256)
		total, closed := 0, false
		for {
			n, err := stdout.Read(buf)
			if total += n; total >= 8 && !closed {
				close(streamed) // a few pieces of the reply are out
				closed = true
			}
			if err != nil {
				io.Copy(io.Discard, stdout)
				exited <- cmd.Wait()
				return
			}
		}
	}()
	select {
	case <-streamed:
	case err := <-exited:
		if err == nil {
			return false, nil // a reply shorter than a few pieces
		}
		return false, fmt.Errorf("the chat ended before streaming: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		return false, fmt.Errorf("no reply within 30 s\n%s", stderr.String())
	}
	if !killWorker {
		err := cmd.Process.Kill()
		werr := <-exited
		var exit *exec.ExitError
		// Killed: the wait says so; else the reply had ended.
		return err == nil && errors.As(werr, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL, nil
	}
	pid, err := childOf(cmd.Process.Pid)
	if err != nil {
		cmd.Process.Kill()
		<-exited
		return false, nil // the CLI had let its worker go: the reply had ended
	}
	syscall.Kill(pid, syscall.SIGKILL)
	select {
	case err := <-exited:
		switch {
		case err == nil:
			return false, nil // the reply ended before the kill landed
		case !strings.Contains(stderr.String(), "the engine stopped: killed by signal 9"):
			return false, fmt.Errorf("after the worker was killed: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		return false, fmt.Errorf("the CLI did not end within 30 s of its worker's death\n%s", stderr.String())
	}
	return true, nil
}

// childOf returns the pid of a child process of pid (the engine worker).
func childOf(pid int) (int, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return 0, err
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(field); err == nil {
				return c, nil
			}
		}
	}
	return 0, fmt.Errorf("process %d has no child: %w", pid, exec.ErrNotFound)
}
