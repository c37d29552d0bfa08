package variant

import "golang.org/x/sys/cpu"

// XCR0 bits for AMX: the OS saves and restores the tile configuration (17)
// and the tile data (18) on context switches only when both are set.
const (
	xcr0TileCfg  = 1 << 17
	xcr0TileData = 1 << 18
)

func readXCR0() uint64

// osEnablesAMX reports whether the OS has turned on AMX's register state in
// XCR0. A CPU can report AMX-TILE and AMX-INT8 under an OS that does not
// (Windows 10, Linux before 5.16): a tile instruction then faults.
// golang.org/x/sys/cpu reads the CPUID bits only, not XCR0.
func osEnablesAMX() bool {
	if !cpu.X86.HasOSXSAVE {
		return false
	}
	x := readXCR0()
	return x&xcr0TileCfg != 0 && x&xcr0TileData != 0
}
