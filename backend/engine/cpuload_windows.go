package engine

import (
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

var procGetSystemTimes = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetSystemTimes")

// readCPUSample reads the machine's busy time (kernel time, which holds
// the idle time, plus user time, less idle) from GetSystemTimes and this
// process's from GetProcessTimes. Both count every core: Windows reports
// no per-core times to a program without performance counters.
func readCPUSample() (cpuSample, bool) {
	if procGetSystemTimes.Find() != nil {
		return cpuSample{}, false
	}
	var idle, kernel, user windows.Filetime
	r, _, _ := procGetSystemTimes.Call(uintptr(unsafe.Pointer(&idle)), uintptr(unsafe.Pointer(&kernel)), uintptr(unsafe.Pointer(&user)))
	if r == 0 {
		return cpuSample{}, false
	}
	var creation, exit, pKernel, pUser windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &creation, &exit, &pKernel, &pUser); err != nil {
		return cpuSample{}, false
	}
	ticks := func(f windows.Filetime) time.Duration { // 100 ns units
		return time.Duration(uint64(f.HighDateTime)<<32|uint64(f.LowDateTime)) * 100
	}
	busy := ticks(kernel) + ticks(user) - ticks(idle)
	return cpuSample{busy: busy, self: ticks(pKernel) + ticks(pUser)}, true
}
