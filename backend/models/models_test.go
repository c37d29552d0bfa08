package models

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

// ggufHeader returns a minimal GGUF header of the given version followed by
// pad bytes.
func ggufHeader(version uint32, pad int) []byte {
	b := []byte("GGUF")
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint64(b, 0) // tensors
	b = binary.LittleEndian.AppendUint64(b, 0) // metadata
	return append(b, make([]byte, pad)...)
}

func write(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		file    string
		data    []byte
		problem string // "" = valid
	}{
		{"tiny.gguf", ggufHeader(3, 100), ""},
		{"v2.gguf", ggufHeader(2, 0), ""},
		{"old.gguf", ggufHeader(1, 0), "too old"},
		{"future.gguf", ggufHeader(9, 0), "newer than Chapel supports"},
		{"text.gguf", []byte("this is not a model at all, just text"), "not a GGUF model file"},
		{"empty.gguf", nil, "the file is empty"},
		{"cut.gguf", []byte("GGUF\x03\x00"), "too short"},
		{"model-00001-of-00002.gguf", ggufHeader(3, 0), ""},
		{"model-00002-of-00002.gguf", ggufHeader(3, 0), "part 2 of 2 of a split model"},
		{"mmproj-model-f16.gguf", ggufHeader(3, 0), "vision projector"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := write(t, filepath.Join(dir, tt.file), tt.data)
			e, err := Inspect(path)
			if err != nil {
				t.Fatal(err)
			}
			if e.Valid != (tt.problem == "") || !strings.Contains(e.Problem, tt.problem) || (tt.problem == "") != (e.Problem == "") {
				t.Errorf("Valid=%v Problem=%q, want problem %q", e.Valid, e.Problem, tt.problem)
			}
			if e.Path != path || e.Name != strings.TrimSuffix(tt.file, ".gguf") || e.SizeBytes != int64(len(tt.data)) || e.Dir != dir {
				t.Errorf("entry %+v", e)
			}
		})
	}
	if _, err := Inspect(filepath.Join(dir, "missing.gguf")); err == nil {
		t.Error("Inspect of a missing file: no error")
	}
	if _, err := Inspect(dir); err == nil {
		t.Error("Inspect of a folder: no error")
	}
}

func TestScan(t *testing.T) {
	root := t.TempDir()
	a := filepath.Join(root, "a")
	b := filepath.Join(root, "b")
	write(t, filepath.Join(a, "Zephyr.gguf"), ggufHeader(3, 10))
	write(t, filepath.Join(a, "alpha.GGUF"), ggufHeader(3, 20))
	write(t, filepath.Join(a, "llama", "llama-3b.gguf"), ggufHeader(3, 30)) // one level down: found
	write(t, filepath.Join(a, "x", "y", "deep.gguf"), ggufHeader(3, 0))     // two levels down: not
	write(t, filepath.Join(a, "notes.txt"), []byte("hi"))
	write(t, filepath.Join(a, ".hidden.gguf"), ggufHeader(3, 0))
	write(t, filepath.Join(a, "model.gguf.part"), ggufHeader(3, 0))
	write(t, filepath.Join(b, "broken.gguf"), []byte("nope"))
	if err := os.Mkdir(filepath.Join(b, "dir.gguf"), 0o755); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name   string
		Valid  bool
		Source string
	}
	var link []row // the link, alone in b, when links can be made
	if runtime.GOOS != "windows" {
		link = []row{{"zephyr-link", true, b}}
		if err := os.Symlink(filepath.Join(a, "Zephyr.gguf"), filepath.Join(b, "zephyr-link.gguf")); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name string
		dirs []string
		want []row
	}{
		{"one folder, sorted by name, case-insensitive", []string{a}, []row{
			{"alpha", true, a}, {"llama-3b", true, a}, {"Zephyr", true, a},
		}},
		{"missing folders are skipped", []string{filepath.Join(root, "nope"), "", b},
			append([]row{{"broken", false, b}}, link...)},
		{"duplicates and links listed once", []string{a, b, a, root + string(filepath.Separator) + "a"}, []row{
			{"alpha", true, a}, {"broken", false, b}, {"llama-3b", true, a}, {"Zephyr", true, a},
		}},
		{"nothing", nil, []row{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := Scan(context.Background(), tt.dirs)
			if err != nil {
				t.Fatal(err)
			}
			got := []row{}
			for _, e := range es {
				got = append(got, row{e.Name, e.Valid, e.Source})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}

	es, _ := Scan(context.Background(), []string{a})
	if e := es[1]; e.Dir != filepath.Join(a, "llama") || e.Path != filepath.Join(a, "llama", "llama-3b.gguf") || e.SizeBytes != 54 {
		t.Errorf("subfolder entry %+v", e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, []string{a}); err == nil {
		t.Error("Scan with a cancelled context: no error")
	}
}

func TestRemember(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	if p, ok, err := Remembered(ctx, st); err != nil || ok || p != "" {
		t.Fatalf("nothing remembered yet: %q %v %v", p, ok, err)
	}
	if err := Remember(ctx, st, ""); err == nil {
		t.Error("remembering an empty path: no error")
	}
	model := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := Remember(ctx, st, model); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := Remembered(ctx, st); err != nil || !ok || p != model {
		t.Errorf("Remembered = %q %v %v; want %q", p, ok, err, model)
	}
	if err := Forget(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := Remembered(ctx, st); ok {
		t.Error("still remembered after Forget")
	}
}
