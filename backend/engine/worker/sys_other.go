//go:build !linux

package worker

import (
	"os"
	"os/exec"
)

// setPdeathsig does nothing here: the worker exits when its stdin closes.
func setPdeathsig(cmd *exec.Cmd) {}

// ProtocolOutput returns the worker's protocol channel, standard output.
func ProtocolOutput() (*os.File, error) { return os.Stdout, nil }
