package paths

import (
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// The helper process takes conversation 7's lock (summary 7's with
// CHAPEL_TEST_HOLD_SUMMARY) and waits for its stdin to close.
func TestMain(m *testing.M) {
	if home := os.Getenv("CHAPEL_TEST_HOLD_LOCK"); home != "" {
		lock := TryLockConversation
		if os.Getenv("CHAPEL_TEST_HOLD_SUMMARY") != "" {
			lock = TryLockSummary
		}
		release, ok, err := lock(home, 7)
		if err != nil || !ok {
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		var b [1]byte
		os.Stdin.Read(b[:])
		release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestTryLockConversation(t *testing.T) {
	home := t.TempDir()
	cmd, in := holdElsewhere(t, "CHAPEL_TEST_HOLD_LOCK="+home)
	if _, ok, err := TryLockConversation(home, 7); ok || err != nil {
		t.Fatalf("took conversation 7's lock while another process holds it (err %v)", err)
	}
	release, ok, err := TryLockConversation(home, 8)
	if !ok || err != nil {
		t.Fatalf("conversation 8: %v, %v", ok, err)
	}
	release()
	in.Close() // the other process lets go and exits
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	release, ok, err = TryLockConversation(home, 7)
	if !ok || err != nil {
		t.Fatalf("conversation 7 after the other process ended: %v, %v", ok, err)
	}
	release()
	if fi, err := os.Stat(home + "/" + LocksName + "/conversation-" + strconv.Itoa(7) + ".lock"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, %v", fi, err)
	}
}

// A summary's lock is refused while another process holds it, and free as
// soon as that process is killed: a lock left behind never blocks.
func TestTryLockSummaryKilledHolder(t *testing.T) {
	home := t.TempDir()
	cmd, _ := holdElsewhere(t, "CHAPEL_TEST_HOLD_LOCK="+home, "CHAPEL_TEST_HOLD_SUMMARY=1") // its stdin kept open: it holds on until killed
	for _, c := range []struct {
		lock func(string, int64) (func(), bool, error)
		id   int64
		want bool
	}{
		{TryLockSummary, 7, false},     // held by the other process
		{TryLockSummary, 8, true},      // another summary
		{TryLockConversation, 7, true}, // conversation 7 is not summary 7
	} {
		release, ok, err := c.lock(home, c.id)
		if ok != c.want || err != nil {
			t.Errorf("lock %d while another process holds summary 7: %v, %v; want %v", c.id, ok, err, c.want)
		}
		if ok {
			release()
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	release, ok, err := TryLockSummary(home, 7)
	if !ok || err != nil {
		t.Fatalf("summary 7 after its holder was killed: %v, %v", ok, err)
	}
	release()
}

// holdElsewhere starts this test binary as another process that takes the
// lock env names and says "held"; closing the returned stdin lets it go.
func holdElsewhere(t *testing.T, env ...string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var buf [5]byte
	if n, err := out.Read(buf[:]); err != nil || string(buf[:n]) != "held\n" {
		t.Fatalf("the other process did not take the lock: %q, %v", buf[:n], err)
	}
	return cmd, in
}
