#include "textflag.h"

// func linuxSyscall2(nr, a1, a2 uintptr) int64: a raw Linux system call,
// for a Windows program under Wine only (see wine_windows_amd64.go).
TEXT ·linuxSyscall2(SB), NOSPLIT, $0-32
	MOVQ nr+0(FP), AX
	MOVQ a1+8(FP), DI
	MOVQ a2+16(FP), SI
	SYSCALL
	MOVQ AX, ret+24(FP)
	RET
