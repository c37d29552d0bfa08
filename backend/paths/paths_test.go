package paths

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestDataDir(t *testing.T) {
	home := t.TempDir()
	cfg := t.TempDir()
	tests := []struct {
		name    string
		env     string
		want    string
		wantDB  string
		wantMod string
		wantDoc string
	}{
		{"override", home, home, filepath.Join(home, "chapel.db"), filepath.Join(home, "models"), filepath.Join(home, "documents")},
		{"default", "", filepath.Join(cfg, "Chapel"), filepath.Join(cfg, "Chapel", "chapel.db"), filepath.Join(cfg, "Chapel", "models"), filepath.Join(cfg, "Chapel", "documents")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvHome, tt.env)
			// os.UserConfigDir reads these on Linux, macOS and Windows respectively.
			t.Setenv("XDG_CONFIG_HOME", cfg)
			if d, _ := os.UserConfigDir(); tt.env == "" && d != cfg {
				t.Skip("the default folder does not follow XDG_CONFIG_HOME on this OS")
			}
			for _, c := range []struct {
				fn   func() (string, error)
				want string
			}{{DataDir, tt.want}, {DatabasePath, tt.wantDB}, {ModelsDir, tt.wantMod}, {DocumentsDir, tt.wantDoc}} {
				got, err := c.fn()
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("got %q, want %q", got, c.want)
				}
			}
		})
	}
}

func TestDataDirRelativeOverrideIsMadeAbsolute(t *testing.T) {
	t.Setenv(EnvHome, "rel/home")
	got, err := DataDir()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(got) {
		t.Errorf("DataDir() = %q, want an absolute path", got)
	}
}

// TestModelsDirWindows: on Windows the models live in %LocalAppData% (not the
// roaming %AppData% that holds the database), unless CHAPEL_HOME says where.
// It runs on Windows, and under Wine in `make test` (scripts/test-packages.sh).
func TestModelsDirWindows(t *testing.T) {
	if runtime.GOOS != "windows" {
		t.Skip("the local application data folder is a Windows thing")
	}
	// Plain paths, no folders: nothing is created, and Wine 8 (which cannot
	// remove t.TempDir's folders with Go's newer delete call) passes cleanly.
	local, roaming, home := `C:\Users\u\AppData\Local`, `C:\Users\u\AppData\Roaming`, `D:\chapel-home`
	t.Setenv("LOCALAPPDATA", local)
	t.Setenv("APPDATA", roaming)
	for _, tt := range []struct {
		name, env, wantModels, wantData string
	}{
		{"default", "", filepath.Join(local, "Chapel", "models"), filepath.Join(roaming, "Chapel")},
		{"CHAPEL_HOME", home, filepath.Join(home, "models"), home},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvHome, tt.env)
			models, err := ModelsDir()
			if err != nil || models != tt.wantModels {
				t.Errorf("ModelsDir() = %q, %v; want %q", models, err, tt.wantModels)
			}
			data, err := DataDir()
			if err != nil || data != tt.wantData {
				t.Errorf("DataDir() = %q, %v; want %q", data, err, tt.wantData)
			}
		})
	}
}
