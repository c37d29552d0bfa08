package paths

import (
	"os"
	"path/filepath"
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
