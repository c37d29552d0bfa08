package app

import "syscall"

// childProcAttr makes a server the benchmark started stop when the
// benchmark dies without stopping it (killed).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
