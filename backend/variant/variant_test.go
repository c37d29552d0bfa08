package variant

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	amx := Features{Arch: "amd64", AVX512: true, VNNI: true, AMX: true, AMXOS: true}
	amxNoOS := Features{Arch: "amd64", AVX512: true, VNNI: true, AMX: true} // Windows 10, Linux < 5.16
	amxWine := amx                                                          // Wine on Linux: the engine asks the kernel for the tile data
	amxWine.Wine, amxWine.WineOS, amxWine.WineAMX = "8.0", "Linux 6.8.0", true
	amxWineOldLinux := amxWine // a kernel that does not offer the tile data
	amxWineOldLinux.WineOS, amxWineOldLinux.WineAMX = "Linux 5.10.0", false
	amxWineBSD := amxWine
	amxWineBSD.WineOS, amxWineBSD.WineAMX = "FreeBSD 14.1", false
	zen4 := Features{Arch: "amd64", AVX512: true, VNNI: true}
	zen4Wine := zen4
	zen4Wine.Wine = "8.0"
	skylakeX := Features{Arch: "amd64", AVX512: true} // AVX-512 without VNNI
	haswell := Features{Arch: "amd64"}
	graviton3 := Features{Arch: "arm64", DotProd: true, I8MM: true}
	pi4 := Features{Arch: "arm64"}
	release := []string{"/opt/chapel/chapel", "/opt/chapel/chapel-avx512", "/opt/chapel/chapel-amx",
		"/opt/chapel/chapel-dotprod", "/opt/chapel/chapel-i8mm"}
	win := []string{`C:\Chapel\chapel.exe`, `C:\Chapel\chapel-avx512.exe`, `C:\Chapel\chapel-amx.exe`}
	tests := []struct {
		name     string
		cpu      Features
		files    []string
		want     string
		wantPath string
		reason   string
	}{
		{"AMX Xeon runs the AMX engine", amx, release, "amx", "/opt/chapel/chapel-amx", "AMX-TILE"},
		{"AMX Xeon whose OS leaves the tile state off runs the AVX-512 engine", amxNoOS, release, "avx512", "/opt/chapel/chapel-avx512", "XCR0 bits 17 and 18"},
		{"Zen 4 runs the AVX-512 engine", zen4, release, "avx512", "/opt/chapel/chapel-avx512", "AVX512-VNNI"},
		{"AVX-512 without VNNI runs the baseline", skylakeX, release, "x86-64-v3", "/opt/chapel/chapel", "lacks"},
		{"Haswell runs the baseline", haswell, release, "x86-64-v3", "/opt/chapel/chapel", "lacks what the amx and avx512"},
		{"AMX Xeon with only the AVX-512 engine shipped", amx, release[:2], "avx512", "/opt/chapel/chapel-avx512", "AVX512-VNNI"},
		{"a release without variants", zen4, release[:1], "x86-64-v3", "/opt/chapel/chapel", "carries only"},
		{"Graviton 3 runs the i8mm engine", graviton3, release, "i8mm", "/opt/chapel/chapel-i8mm", "I8MM"},
		{"a plain ARMv8 CPU runs the baseline", pi4, release, "armv8", "/opt/chapel/chapel", "lacks"},
		{"Windows on an AMX Xeon runs chapel-amx.exe", amx, win, "amx", `C:\Chapel\chapel-amx.exe`, "AMX-TILE"},
		{"Windows 10 on an AMX Xeon (no tile state) runs chapel-avx512.exe", amxNoOS, win, "avx512", `C:\Chapel\chapel-avx512.exe`, "does not enable AMX's tile state"},
		{"Wine on Linux on an AMX Xeon runs chapel-amx.exe", amxWine, win, "amx", `C:\Chapel\chapel-amx.exe`, "under Wine 8.0 on Linux 6.8.0 the engine asks the kernel"},
		{"Wine on a Linux that does not offer the tile data runs chapel-avx512.exe", amxWineOldLinux, win, "avx512", `C:\Chapel\chapel-avx512.exe`, "Linux 5.10.0, whose kernel does not offer"},
		{"Wine on FreeBSD on an AMX Xeon runs chapel-avx512.exe", amxWineBSD, win, "avx512", `C:\Chapel\chapel-avx512.exe`, "under Wine 8.0 on FreeBSD 14.1"},
		{"Wine on FreeBSD without the AVX-512 engine runs the baseline", amxWineBSD, []string{win[0], win[2]}, "x86-64-v3", `C:\Chapel\chapel.exe`, "under Wine 8.0"},
		{"Wine on Zen 4 runs chapel-avx512.exe, AMX unmentioned", zen4Wine, win, "avx512", `C:\Chapel\chapel-avx512.exe`, "so Chapel runs its avx512 engine"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			have := map[string]bool{}
			for _, f := range tc.files {
				have[f] = true
			}
			exe := tc.files[0]
			c := Choose(exe, tc.cpu, func(p string) bool { return have[p] })
			if c.Variant.Name != tc.want || c.Path != tc.wantPath {
				t.Fatalf("chose %s (%s), want %s (%s)", c.Variant.Name, c.Path, tc.want, tc.wantPath)
			}
			if !strings.Contains(c.Reason, tc.reason) {
				t.Fatalf("reason %q does not say %q", c.Reason, tc.reason)
			}
			// Why not AMX is said only where a CPU with AMX does not run a shipped amx engine.
			whyNot := tc.cpu.AMX && tc.want != "amx" && have[strings.TrimSuffix(exe, filepath.Ext(exe))+"-amx"+filepath.Ext(exe)]
			if mentions := strings.Contains(c.Reason, "amx engine:"); mentions != whyNot {
				t.Fatalf("reason %q: says why not AMX = %v, want %v", c.Reason, mentions, whyNot)
			}
		})
	}
}

func TestNativeBuildRunsItself(t *testing.T) {
	c := ChooseFor("native", "/src/chapel", Features{Arch: "amd64", AVX512: true, VNNI: true}, func(string) bool { return true })
	if c.Variant.Name != "native" || c.Path != "/src/chapel" || !strings.Contains(c.Reason, "-march=native") {
		t.Fatalf("native build chose %+v", c)
	}
}

// An engine build started by hand runs itself and says what it is, not
// "the portable engine" it would otherwise take itself for.
func TestVariantBuildStartedItself(t *testing.T) {
	amx := Features{Arch: "amd64", AVX512: true, VNNI: true, AMX: true, AMXOS: true}
	zen4 := Features{Arch: "amd64", AVX512: true, VNNI: true}
	for _, tc := range []struct {
		built, exe string
		cpu        Features
		reason     string
	}{
		{"amx", `C:\Chapel\chapel-amx.exe`, amx, "started itself"},
		{"amx", "/opt/chapel/chapel-amx", zen4, "lacks what it needs"},
		{"avx512", "/opt/chapel/chapel-avx512", zen4, "avx512 engine build"},
	} {
		c := ChooseFor(tc.built, tc.exe, tc.cpu, func(string) bool { return true })
		if c.Variant.Name != tc.built || c.Path != tc.exe || !strings.Contains(c.Reason, tc.reason) {
			t.Errorf("%s at %s chose %s (%s): %q", tc.built, tc.exe, c.Variant.Name, c.Path, c.Reason)
		}
	}
}

func TestWindowsSuffixKeepsExe(t *testing.T) {
	have := map[string]bool{`C:\Chapel\chapel-avx512.exe`: true}
	c := Choose(`C:\Chapel\chapel.exe`, Features{Arch: "amd64", AVX512: true, VNNI: true}, func(p string) bool { return have[p] })
	if c.Path != `C:\Chapel\chapel-avx512.exe` {
		t.Fatalf("path %q", c.Path)
	}
}

// The Makefile builds the variants this package chooses among, with the
// same compiler flags: the two lists must not drift apart.
func TestMakefileBuildsEveryVariant(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Skipf("no Makefile beside the package: %v", err)
	}
	flags := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^FLAGS_(\S+)\s*:=\s*(.*)$`).FindAllStringSubmatch(string(mk), -1) {
		flags[m[1]] = strings.TrimSpace(m[2])
	}
	built := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^VARIANTS_(\S+)\s*:=\s*(.*)$`).FindAllStringSubmatch(string(mk), -1) {
		for _, v := range strings.Fields(m[2]) {
			built[m[1]+"/"+v] = true
		}
	}
	for _, v := range All {
		key := v.Name
		if v.Baseline {
			key = "base_" + v.Arch
		} else if !built[v.Arch+"/"+v.Name] {
			t.Errorf("the Makefile does not build the %s variant (VARIANTS_%s)", v.Name, v.Arch)
		}
		if flags[key] != v.Flags {
			t.Errorf("variant %s: Makefile FLAGS_%s = %q, variant.All says %q", v.Name, key, flags[key], v.Flags)
		}
	}
}

func TestDetectThisCPU(t *testing.T) {
	f := Detect()
	if f.Arch == "" {
		t.Fatal("no architecture")
	}
	c := Current()
	if c.Variant.Name == "" || c.Reason == "" {
		t.Fatalf("no choice for this CPU: %+v", c)
	}
	t.Logf("this CPU: %s %v → %s: %s", f.Model, f.Has, c.Variant.Name, c.Reason)
	// What a release (every engine of this architecture beside the app) runs
	// here: scripts/test-packages.sh shows this line for Windows under Wine.
	exe := filepath.Join(os.TempDir(), "chapel-release", "chapel") // never made: exists says yes
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	r := ChooseFor("x86-64-v3", exe, f, func(string) bool { return true })
	t.Logf("a release here runs its %s engine (%s): %s", r.Variant.Name, filepath.Base(r.Path), r.Reason)
}
