package app

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

func TestGeometryClamp(t *testing.T) {
	tests := []struct {
		name   string
		in     geometry
		sw, sh int
		want   geometry
	}{
		{"fits as it is", geometry{X: 100, Y: 50, Width: 1000, Height: 700}, 1920, 1080, geometry{X: 100, Y: 50, Width: 1000, Height: 700}},
		{"off the right and bottom edges", geometry{X: 1500, Y: 900, Width: 1000, Height: 700}, 1920, 1080, geometry{X: 920, Y: 380, Width: 1000, Height: 700}},
		{"on a monitor left of this one", geometry{X: -2400, Y: -30, Width: 1000, Height: 700}, 1920, 1080, geometry{X: 0, Y: 0, Width: 1000, Height: 700}},
		{"larger than a smaller screen", geometry{X: 10, Y: 10, Width: 2500, Height: 1400}, 1366, 768, geometry{X: 0, Y: 0, Width: 1366, Height: 768}},
		{"below the minimum", geometry{X: 5, Y: 5, Width: 200, Height: 100}, 1920, 1080, geometry{X: 5, Y: 5, Width: minWidth, Height: minHeight}},
		{"unknown screen keeps the size", geometry{X: -5, Y: 40, Width: 3000, Height: 300}, 0, 0, geometry{X: 0, Y: 40, Width: 3000, Height: minHeight}},
		{"maximised flag kept", geometry{X: 0, Y: 0, Width: 800, Height: 600, Maximised: true}, 1280, 900, geometry{X: 0, Y: 0, Width: 800, Height: 600, Maximised: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.clamp(tt.sw, tt.sh); got != tt.want {
				t.Errorf("clamp(%+v, %dx%d) = %+v, want %+v", tt.in, tt.sw, tt.sh, got, tt.want)
			}
		})
	}
}

// TestGeometryRemembered: what the window saves on close is what the next
// start reads; nothing saved (or nonsense saved) means the defaults.
func TestGeometryRemembered(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if g, ok := loadGeometry(ctx, st); ok {
		t.Fatalf("fresh database: got %+v, want none", g)
	}
	saved := geometry{X: 40, Y: 60, Width: 900, Height: 640, Maximised: true}
	if err := st.SetSetting(ctx, geometryKey, saved); err != nil {
		t.Fatal(err)
	}
	if g, ok := loadGeometry(ctx, st); !ok || g != saved {
		t.Fatalf("got %+v (%v), want %+v", g, ok, saved)
	}
	if err := st.SetSetting(ctx, geometryKey, geometry{Width: 0, Height: 500}); err != nil {
		t.Fatal(err)
	}
	if g, ok := loadGeometry(ctx, st); ok {
		t.Fatalf("zero width: got %+v, want none", g)
	}
}

func TestFileArgs(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.pdf", "model.gguf"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "folder"), 0o700); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "a.pdf")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"none", nil, nil},
		{"relative and absolute", []string{"model.gguf", abs}, []string{filepath.Join(dir, "model.gguf"), abs}},
		{"flags and --home's value skipped", []string{"--home", "a.pdf", "-loglevel=debug", "folder"}, []string{filepath.Join(dir, "folder")}},
		{"missing files dropped", []string{"nothing.pdf", "a.pdf"}, []string{abs}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fileArgs(tt.args, dir); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fileArgs(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
	t.Run("absoluteFileArgs", func(t *testing.T) {
		t.Chdir(dir)
		got := absoluteFileArgs([]string{"--home", "a.pdf", "a.pdf", "nothing.pdf", "-x"})
		want := []string{"--home", "a.pdf", abs, "nothing.pdf", "-x"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestOpenedFilesAndInstanceID(t *testing.T) {
	var o openedFiles
	o.add([]string{"/a"})
	o.add([]string{"/b", "/c"})
	if got := o.take(); !reflect.DeepEqual(got, []string{"/a", "/b", "/c"}) {
		t.Errorf("take = %q", got)
	}
	if got := o.take(); got != nil {
		t.Errorf("second take = %q, want nothing", got)
	}
	a, b := instanceID("/home/u/.config/Chapel"), instanceID("/tmp/test-home")
	if a == b || a != instanceID("/home/u/.config/Chapel") {
		t.Errorf("instance ids: %q and %q: want stable per folder and distinct between folders", a, b)
	}
}
