#include "textflag.h"

// func readXCR0() uint64: XGETBV with ECX = 0 (the caller checks OSXSAVE first).
TEXT ·readXCR0(SB), NOSPLIT, $0-8
	XORL CX, CX
	XGETBV
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, ret+0(FP)
	RET
