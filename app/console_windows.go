//go:build windows

package app

import (
	"os"

	"golang.org/x/sys/windows"
)

// chapel.exe is linked as a GUI program (-H windowsgui) so that neither the
// window nor its engine worker opens a console window. A GUI program gets no
// console, though: run from cmd or PowerShell as `chapel.exe chat …`, its
// output would vanish. So a command attaches to the console of the process
// that started it, for the standard streams that are not already redirected
// (the engine worker's pipes, `> out.txt`).
func init() {
	if len(os.Args) < 2 || os.Args[1] == workerArg {
		return
	}
	out, _ := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE)
	errh, _ := windows.GetStdHandle(windows.STD_ERROR_HANDLE)
	if usable(out) && usable(errh) {
		return
	}
	kernel32 := windows.NewLazySystemDLL("kernel32.dll")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS: (DWORD)-1
	if r, _, _ := kernel32.NewProc("AttachConsole").Call(attachParentProcess); r == 0 {
		return // started from Explorer: no console to write to
	}
	if !usable(out) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stdout = f
		}
	}
	if !usable(errh) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stderr = f
		}
	}
}

func usable(h windows.Handle) bool { return h != 0 && h != windows.InvalidHandle }
