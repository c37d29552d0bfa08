package app

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the controlling side and the terminal
// a child process writes to.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		ptm.Close()
		t.Skip("cannot unlock a pseudo-terminal:", err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		ptm.Close()
		t.Skip("cannot name a pseudo-terminal:", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		ptm.Close()
		t.Skip("cannot open a pseudo-terminal:", err)
	}
	t.Cleanup(func() { ptm.Close(); pts.Close() })
	return ptm, pts
}

// TestImportProgressOnATerminal: `chapel import` counts the conversations
// it reads on a terminal's stderr, as summarize shows its progress, and
// prints nothing but its result when stderr is a pipe.
func TestImportProgressOnATerminal(t *testing.T) {
	export := chatGPTFile(t, t.TempDir(), "conversations.json", 300)
	for _, tty := range []bool{true, false} {
		t.Run(fmt.Sprintf("terminal=%v", tty), func(t *testing.T) {
			cmd := chapelCmd(t.TempDir(), "import", export)
			var stdout, pipe bytes.Buffer
			cmd.Stdout = &stdout
			var ptm *os.File
			if tty {
				var pts *os.File
				ptm, pts = openPTY(t)
				cmd.Stderr = pts
			} else {
				cmd.Stderr = &pipe
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var got []byte
			done := make(chan struct{})
			if tty {
				go func() { // the terminal's side, read until the child is gone
					got, _ = io.ReadAll(ptm)
					close(done)
				}()
			}
			err := cmd.Wait()
			if tty {
				cmd.Stderr.(*os.File).Close() // the child's copy is closed: reading ends
				<-done
			} else {
				got = pipe.Bytes()
			}
			if err != nil {
				t.Fatalf("import: %v\n%s", err, got)
			}
			said := strings.Contains(string(got), "importing: ") && strings.Contains(string(got), "conversations read")
			if said != tty {
				t.Errorf("stderr %q: progress %v, want %v", got, said, tty)
			}
			if !tty && len(got) != 0 {
				t.Errorf("stderr on a pipe %q, want nothing", got)
			}
			if !strings.Contains(stdout.String(), "imported 300 conversations") {
				t.Errorf("stdout %q", stdout.String())
			}
		})
	}
}
