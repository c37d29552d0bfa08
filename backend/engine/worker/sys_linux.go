//go:build linux

package worker

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// setPdeathsig makes the kernel kill the worker when the thread that started
// it ends, which is when the app dies (Go threads rarely end otherwise). The
// worker also exits when its stdin closes: that covers every platform.
func setPdeathsig(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if cmd.SysProcAttr.Pdeathsig == 0 {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
}

// ProtocolOutput returns the worker's protocol channel: the original
// standard output, moved to a new descriptor, with descriptor 1 pointed at
// stderr, so that a stray printf in C code or a Go crash dump can never
// corrupt the frames. Call it once, before Serve.
func ProtocolOutput() (*os.File, error) {
	fd, err := syscall.Dup(1)
	if err != nil {
		return nil, fmt.Errorf("duplicate stdout: %w", err)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Dup3(2, 1, 0); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("point stdout at stderr: %w", err)
	}
	return os.NewFile(uintptr(fd), "engine-protocol"), nil
}
