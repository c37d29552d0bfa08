package variant

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// wineInfo says whether this Windows program runs under Wine (Wine's ntdll
// exports wine_get_version, Windows' does not): Wine's version, its host
// system, and whether that host lets the engine have AMX's tile data.
func wineInfo() (version, host string, amx bool) {
	ntdll := windows.NewLazySystemDLL("ntdll.dll")
	v := ntdll.NewProc("wine_get_version")
	if v.Find() != nil {
		return "", "", false
	}
	version = "unknown"
	if r, _, _ := v.Call(); r != 0 {
		version = cString(r)
	}
	sysname, release := "", ""
	if h := ntdll.NewProc("wine_get_host_version"); h.Find() == nil {
		var s, r uintptr
		h.Call(uintptr(unsafe.Pointer(&s)), uintptr(unsafe.Pointer(&r)))
		sysname, release = cString(s), cString(r)
	}
	host = sysname
	if release != "" {
		host += " " + release
	}
	return version, host, sysname == "Linux" && linuxOffersTileData()
}

// Under Wine a Windows program's machine code runs as it is, so a syscall
// instruction reaches the Linux kernel. arch_prctl(ARCH_GET_XCOMP_SUPP)
// reports the register state components the kernel can give a process;
// the AMX engine asks for the tile data itself (backend/llama,
// amx_wine_windows.c), as ggml does only when built for Linux.
const (
	linuxSysArchPrctl     = 158
	linuxArchGetXcompSupp = 0x1021
	xfeatureXTileData     = 18
)

func linuxSyscall2(nr, a1, a2 uintptr) int64

var xcompSupp uint64 // written by the kernel; a global, so it never moves

func linuxOffersTileData() bool {
	r := linuxSyscall2(linuxSysArchPrctl, linuxArchGetXcompSupp, uintptr(unsafe.Pointer(&xcompSupp)))
	return r == 0 && xcompSupp&(1<<xfeatureXTileData) != 0
}

// cString reads the C string at address p (ntdll's static data).
func cString(p uintptr) string {
	if p == 0 {
		return ""
	}
	return windows.BytePtrToString(*(**byte)(unsafe.Pointer(&p)))
}
