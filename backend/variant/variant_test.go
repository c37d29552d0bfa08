package variant

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	amx := Features{Arch: "amd64", AVX512: true, VNNI: true, AMX: true}
	zen4 := Features{Arch: "amd64", AVX512: true, VNNI: true}
	skylakeX := Features{Arch: "amd64", AVX512: true} // AVX-512 without VNNI
	haswell := Features{Arch: "amd64"}
	graviton3 := Features{Arch: "arm64", DotProd: true, I8MM: true}
	pi4 := Features{Arch: "arm64"}
	release := []string{"/opt/chapel/chapel", "/opt/chapel/chapel-avx512", "/opt/chapel/chapel-amx",
		"/opt/chapel/chapel-dotprod", "/opt/chapel/chapel-i8mm"}
	tests := []struct {
		name     string
		cpu      Features
		files    []string
		want     string
		wantPath string
		reason   string
	}{
		{"AMX Xeon runs the AMX engine", amx, release, "amx", "/opt/chapel/chapel-amx", "AMX-TILE"},
		{"Zen 4 runs the AVX-512 engine", zen4, release, "avx512", "/opt/chapel/chapel-avx512", "AVX512-VNNI"},
		{"AVX-512 without VNNI runs the baseline", skylakeX, release, "x86-64-v3", "/opt/chapel/chapel", "lacks"},
		{"Haswell runs the baseline", haswell, release, "x86-64-v3", "/opt/chapel/chapel", "lacks what the amx and avx512"},
		{"AMX Xeon with only the AVX-512 engine shipped", amx, release[:2], "avx512", "/opt/chapel/chapel-avx512", "AVX512-VNNI"},
		{"a release without variants", zen4, release[:1], "x86-64-v3", "/opt/chapel/chapel", "carries only"},
		{"Graviton 3 runs the i8mm engine", graviton3, release, "i8mm", "/opt/chapel/chapel-i8mm", "I8MM"},
		{"a plain ARMv8 CPU runs the baseline", pi4, release, "armv8", "/opt/chapel/chapel", "lacks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			have := map[string]bool{}
			for _, f := range tc.files {
				have[f] = true
			}
			c := Choose("/opt/chapel/chapel", tc.cpu, func(p string) bool { return have[p] })
			if c.Variant.Name != tc.want || c.Path != tc.wantPath {
				t.Fatalf("chose %s (%s), want %s (%s)", c.Variant.Name, c.Path, tc.want, tc.wantPath)
			}
			if !strings.Contains(c.Reason, tc.reason) {
				t.Fatalf("reason %q does not say %q", c.Reason, tc.reason)
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
}
