package variant

import (
	"bufio"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/cpu"
)

func detect() Features {
	var f Features
	add := func(ok bool, name string) bool {
		if ok {
			f.Has = append(f.Has, name)
		}
		return ok
	}
	switch runtime.GOARCH {
	case "amd64":
		x := cpu.X86
		add(x.HasAVX2, "avx2")
		add(x.HasFMA, "fma")
		f.AVX512 = add(x.HasAVX512F && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL, "avx512")
		f.VNNI = add(x.HasAVX512VNNI, "avx512_vnni")
		bf16 := add(x.HasAVX512BF16, "avx512_bf16")
		f.AMX = add(x.HasAMXTile && x.HasAMXInt8, "amx_int8") && bf16
		f.AMXOS = osEnablesAMX()
	case "arm64":
		a := cpu.ARM64
		add(a.HasASIMD, "asimd")
		f.DotProd = add(a.HasASIMDDP, "dotprod") && a.HasFPHP && a.HasASIMDHP
		f.I8MM = add(a.HasI8MM, "i8mm")
		add(a.HasSVE, "sve")
	}
	return f
}

// cpuModel is the CPU's name from /proc/cpuinfo where there is one.
func cpuModel() string {
	fh, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name", "Model", "Hardware":
			return strings.TrimSpace(v)
		}
	}
	return ""
}
