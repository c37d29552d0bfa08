package app

import "testing"

func TestWorkerBinary(t *testing.T) {
	has := func(paths ...string) func(string) bool {
		return func(p string) bool {
			for _, q := range paths {
				if p == q {
					return true
				}
			}
			return false
		}
	}
	cases := []struct {
		name, exe, override string
		avx512              bool
		exists              func(string) bool
		want                string
	}{
		{"AVX-512 CPU, AVX-512 build shipped", "/opt/chapel/chapel", "", true, has("/opt/chapel/chapel-avx512"), "/opt/chapel/chapel-avx512"},
		{"AVX-512 CPU, no AVX-512 build", "/opt/chapel/chapel", "", true, has(), "/opt/chapel/chapel"},
		{"AVX2-only CPU", "/opt/chapel/chapel", "", false, has("/opt/chapel/chapel-avx512"), "/opt/chapel/chapel"},
		{"Windows", `C:\\Chapel\\chapel.exe`, "", true, has(`C:\\Chapel\\chapel-avx512.exe`), `C:\\Chapel\\chapel-avx512.exe`},
		{"override", "/opt/chapel/chapel", "/tmp/other", true, has("/opt/chapel/chapel-avx512"), "/tmp/other"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := workerBinary(c.exe, c.override, c.avx512, c.exists); got != c.want {
				t.Errorf("workerBinary = %q, want %q", got, c.want)
			}
		})
	}
}
