// Package variant owns the choice of engine build for the CPU Chapel runs
// on. A release ships the app built for a portable baseline (x86-64-v3, or
// plain ARMv8.0 on arm64) and, beside it, the same program built for newer
// CPU levels (AVX-512 with VNNI; AMX; ARMv8.2 dot products; ARMv8.6 int8
// matrix multiply). At start the app runs the fastest build the CPU can
// execute as its engine worker; this package decides which one and why.
package variant

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Variant is one engine build a release may ship.
type Variant struct {
	Name     string `json:"name"`     // "" = the app binary itself (the baseline)
	Suffix   string `json:"suffix"`   // file name suffix: chapel-avx512, chapel-amx.exe
	Arch     string `json:"arch"`     // GOARCH it is built for
	Flags    string `json:"flags"`    // compiler flags (release builds)
	Needs    string `json:"needs"`    // what the CPU must report, in words
	Baseline bool   `json:"baseline"` // the app binary itself
}

// All lists the variants, fastest first within each architecture. The
// Makefile's release target builds the same list (keep them in step: a test
// reads the Makefile).
var All = []Variant{
	{Name: "amx", Suffix: "-amx", Arch: "amd64", Flags: "-march=sapphirerapids -mtune=sapphirerapids",
		Needs: "AMX-TILE, AMX-INT8, AVX512-BF16, AVX512-VNNI and x86-64-v4 (Intel Xeon 4th generation and later)"},
	{Name: "avx512", Suffix: "-avx512", Arch: "amd64", Flags: "-march=x86-64-v4 -mavx512vnni -mtune=generic",
		Needs: "x86-64-v4 (AVX-512 F, BW, DQ, VL) and AVX512-VNNI"},
	{Name: "x86-64-v3", Arch: "amd64", Flags: "-march=x86-64-v3 -mtune=generic", Baseline: true,
		Needs: "x86-64-v3 (AVX2, FMA, F16C)"},
	{Name: "i8mm", Suffix: "-i8mm", Arch: "arm64", Flags: "-march=armv8.6-a+dotprod+i8mm+fp16",
		Needs: "ARMv8.6 with int8 matrix multiply (I8MM) and dot products"},
	{Name: "dotprod", Suffix: "-dotprod", Arch: "arm64", Flags: "-march=armv8.2-a+dotprod+fp16",
		Needs: "ARMv8.2 with dot products (DOTPROD) and FP16"},
	{Name: "armv8", Arch: "arm64", Flags: "-march=armv8-a", Baseline: true, Needs: "ARMv8.0 (NEON)"},
}

// Features is what the CPU reports, reduced to what the variants need.
type Features struct {
	Arch    string   `json:"arch"`
	Model   string   `json:"model"` // the CPU's marketing name, where the OS says it
	Has     []string `json:"has"`   // feature names Chapel looks at that the CPU has
	AVX512  bool     `json:"avx512"`
	VNNI    bool     `json:"vnni"`
	AMX     bool     `json:"amx"`
	AMXOS   bool     `json:"amx_os"` // the OS enables AMX's tile state (XCR0 bits 17 and 18)
	DotProd bool     `json:"dotprod"`
	I8MM    bool     `json:"i8mm"`
	Wine    string   `json:"wine,omitempty"`      // Wine's version, when a Windows build runs under Wine
	WineOS  string   `json:"wine_host,omitempty"` // the system Wine runs on ("Linux 6.8.0")
	WineAMX bool     `json:"wine_amx,omitempty"`  // that system gives the engine AMX's tile data
}

// Supports reports whether a CPU with features f can run variant v.
func (f Features) Supports(v Variant) bool {
	if v.Arch != f.Arch {
		return false
	}
	switch v.Name {
	case "amx":
		return f.AMX && f.AVX512 && f.VNNI && f.amxBlocked() == ""
	case "avx512":
		return f.AVX512 && f.VNNI
	case "i8mm":
		return f.I8MM && f.DotProd
	case "dotprod":
		return f.DotProd
	}
	return v.Baseline
}

// amxBlocked says why a CPU that reports AMX cannot use it in this process,
// "" when it can.
func (f Features) amxBlocked() string {
	switch {
	case !f.AMXOS:
		return "the operating system does not enable AMX's tile state (XCR0 bits 17 and 18 are clear)"
	case f.Wine != "" && !f.WineAMX:
		under := "Chapel runs under Wine " + f.Wine + " on " + orUnknown(f.WineOS)
		if strings.HasPrefix(f.WineOS, "Linux") {
			return under + ", whose kernel does not offer a process AMX's tile data (arch_prctl ARCH_GET_XCOMP_SUPP)"
		}
		return under + ", where Chapel knows no way for a Windows program to get AMX's tile data"
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown system"
	}
	return s
}

// Choice is the engine build the app runs, and why.
type Choice struct {
	Variant Variant  `json:"variant"`
	Path    string   `json:"path"`    // the executable started as the engine worker
	Reason  string   `json:"reason"`  // one sentence a person can read
	Shipped []string `json:"shipped"` // the variants found beside the app
	CPU     Features `json:"cpu"`
}

// Built names the CPU level this binary was compiled for, set by the
// Makefile (-ldflags -X): a release build's baseline ("x86-64-v3",
// "armv8") or one of the variants; "native" for a local build made with
// -march=native, which runs only its own engine.
var Built = "native"

// Choose picks the fastest variant beside exe that the CPU supports.
// exists reports whether a file is there (os.Stat in the app; a map in tests).
func Choose(exe string, f Features, exists func(string) bool) Choice {
	return ChooseFor("", exe, f, exists)
}

// ChooseFor is Choose for a binary compiled for the level built; a
// "native" build (compiled for the machine that built it) runs itself.
func ChooseFor(built, exe string, f Features, exists func(string) bool) Choice {
	if built == "native" {
		return Choice{Path: exe, CPU: f, Shipped: []string{"native"},
			Variant: Variant{Name: "native", Arch: f.Arch, Baseline: true, Flags: "-march=native"},
			Reason:  "this is a local build, compiled for the CPU of the machine that built it (-march=native)"}
	}
	for _, v := range All {
		if v.Name == built && !v.Baseline {
			// An engine build started by hand (chapel-amx.exe chat …),
			// not by the app beside it: it runs itself.
			c := Choice{Variant: v, Path: exe, CPU: f, Shipped: []string{v.Name},
				Reason: "this is Chapel's " + v.Name + " engine build, started itself rather than by the app beside it, so it runs its own engine"}
			if !f.Supports(v) {
				c.Reason += "; this CPU or system lacks what it needs (" + v.Needs + ")"
				if why := f.amxBlocked(); v.Name == "amx" && f.AMX && why != "" {
					c.Reason += ": " + why
				}
			}
			return c
		}
	}
	ext := filepath.Ext(exe) // .exe on Windows
	base := strings.TrimSuffix(exe, ext)
	c := Choice{Path: exe, CPU: f}
	var skipped []string
	amxNote := "" // why a CPU that reports AMX does not run the amx engine
	for _, v := range All {
		if v.Arch != f.Arch {
			continue
		}
		path := exe
		if !v.Baseline {
			path = base + v.Suffix + ext
			if !exists(path) {
				continue
			}
		}
		c.Shipped = append(c.Shipped, v.Name)
		if c.Variant.Name != "" {
			continue
		}
		if !f.Supports(v) {
			skipped = append(skipped, v.Name)
			if v.Name == "amx" && f.AMX {
				amxNote = f.amxBlocked()
			}
			continue
		}
		c.Variant, c.Path = v, path
	}
	switch {
	case c.Variant.Name == "":
		c.Variant = Variant{Name: f.Arch, Baseline: true, Arch: f.Arch}
		c.Reason = "Chapel knows no engine variants for this architecture and runs itself"
	case !c.Variant.Baseline:
		c.Reason = "the CPU reports " + c.Variant.Needs + ", so Chapel runs its " + c.Variant.Name + " engine"
		if c.Variant.Name == "amx" && f.Wine != "" {
			c.Reason += "; under Wine " + f.Wine + " on " + f.WineOS +
				" the engine asks the kernel for AMX's tile data itself (arch_prctl), which Wine does not do for it"
		}
	case len(skipped) > 0:
		c.Reason = "the CPU lacks what the " + strings.Join(skipped, " and ") + " engine needs, so Chapel runs its portable " + c.Variant.Name + " engine"
	case len(c.Shipped) == 1:
		c.Reason = "this build of Chapel carries only its portable " + c.Variant.Name + " engine"
	default:
		c.Reason = "Chapel runs its portable " + c.Variant.Name + " engine"
	}
	if amxNote != "" {
		c.Reason += "; it does not run its amx engine: the CPU reports AMX, but " + amxNote
	}
	return c
}

// Current is the choice for this process's own executable and CPU.
// CHAPEL_ENGINE_BINARY overrides the path (tests, benchmarks).
func Current() Choice {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	c := ChooseFor(Built, exe, Detect(), fileExists)
	if o := os.Getenv("CHAPEL_ENGINE_BINARY"); o != "" {
		c.Path = o
		c.Reason = "CHAPEL_ENGINE_BINARY names the engine binary: " + o
	}
	return c
}

// Detect reads this CPU's features.
func Detect() Features {
	f := detect()
	f.Arch = runtime.GOARCH
	f.Model = cpuModel()
	f.Wine, f.WineOS, f.WineAMX = wineInfo()
	return f
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
