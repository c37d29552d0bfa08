// Package models owns finding GGUF model files on disk: scanning folders for
// *.gguf files, a quick header check so the UI can grey out files that cannot
// load, and remembering the model the user chose last (settings key
// "model.path"). Loading a model is the engine's job.
package models

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/chapelapp/chapel/backend/gguf"
)

// Ext is the file extension of model files.
const Ext = ".gguf"

// Entry is one model file.
type Entry struct {
	Path      string `json:"path"`              // absolute path
	Name      string `json:"name"`              // file name without .gguf
	SizeBytes int64  `json:"size_bytes"`        // file size
	Dir       string `json:"dir"`               // folder holding the file
	Source    string `json:"source"`            // the scanned folder it was found under
	Valid     bool   `json:"valid"`             // the header looks loadable
	Problem   string `json:"problem,omitempty"` // why not, when Valid is false

	// Where it came from: "chapel" (its own folders) or another app
	// (AppOllama, AppLMStudio, …); Source is then that app's name.
	App string `json:"app"`
	// From the header (Describe), before the model is loaded.
	Details
}

// Scan lists the *.gguf files in dirs and in their immediate subfolders,
// sorted by name. Folders that do not exist or cannot be read are skipped; a
// file reachable from two folders (or through a symbolic link) is listed
// once. Each file's header is checked (see Inspect).
func Scan(ctx context.Context, dirs []string) ([]Entry, error) {
	seen := map[string]bool{}
	entries := []Entry{}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		root, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		for _, path := range candidates(root) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			key := path
			if real, err := filepath.EvalSymlinks(path); err == nil {
				key = real
			}
			if seen[key] {
				continue
			}
			e, err := Inspect(path)
			if err != nil {
				continue // vanished or unreadable since listing
			}
			seen[key] = true
			e.Source = root
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := strings.ToLower(entries[i].Name), strings.ToLower(entries[j].Name)
		if a != b {
			return a < b
		}
		return entries[i].Path < entries[j].Path
	})
	return entries, nil
}

// candidates lists the model files in root and its immediate subfolders.
// Hidden files and folders are skipped.
func candidates(root string) []string {
	var out []string
	top, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	for _, d := range top {
		if strings.HasPrefix(d.Name(), ".") {
			continue
		}
		p := filepath.Join(root, d.Name())
		if isDir(p, d) {
			sub, err := os.ReadDir(p)
			if err != nil {
				continue
			}
			for _, s := range sub {
				sp := filepath.Join(p, s.Name())
				if isModelName(s.Name()) && !isDir(sp, s) {
					out = append(out, sp)
				}
			}
			continue
		}
		if isModelName(d.Name()) {
			out = append(out, p)
		}
	}
	return out
}

// isDir follows symbolic links: a linked folder of models counts.
func isDir(path string, d fs.DirEntry) bool {
	if d.Type()&fs.ModeSymlink != 0 {
		fi, err := os.Stat(path)
		return err == nil && fi.IsDir()
	}
	return d.IsDir()
}

func isModelName(name string) bool {
	return !strings.HasPrefix(name, ".") && len(name) > len(Ext) &&
		strings.EqualFold(filepath.Ext(name), Ext)
}

// Inspect describes the model file at path. It reads only the first bytes:
// an error means the file cannot be found or read at all; a file that can
// be read but will not load comes back with Valid false and a Problem.
func Inspect(path string) (Entry, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Entry{}, fmt.Errorf("resolve %q: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Entry{}, err
	}
	if fi.IsDir() {
		return Entry{}, fmt.Errorf("%s is a folder, not a model file", abs)
	}
	base := filepath.Base(abs)
	e := Entry{
		Path:      abs,
		Name:      strings.TrimSuffix(base, filepath.Ext(base)),
		SizeBytes: fi.Size(),
		Dir:       filepath.Dir(abs),
		Source:    filepath.Dir(abs),
	}
	e.Problem = sniff(abs)
	if e.Problem == "" {
		e.Problem = nameProblem(e.Name)
	}
	e.Valid = e.Problem == ""
	return e, nil
}

// headerSize is the fixed part of a GGUF header: magic, version, tensor
// count, metadata count.
const headerSize = 4 + 4 + 8 + 8

// sniff checks the GGUF header and returns a sentence saying what is wrong,
// or "" when it looks loadable.
func sniff(path string) string {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return "Chapel is not allowed to read this file"
		}
		return "the file cannot be read"
	}
	defer f.Close()
	var h [headerSize]byte
	n, err := io.ReadFull(f, h[:])
	switch {
	case n == 0:
		return "the file is empty"
	case n >= 4 && string(h[:4]) != gguf.Magic:
		return "not a GGUF model file"
	case err != nil:
		return "the file is too short to be a model (an unfinished download?)"
	}
	switch v := binary.LittleEndian.Uint32(h[4:8]); {
	case v == 0:
		return "not a GGUF model file"
	case v < gguf.MinVersion:
		return fmt.Sprintf("GGUF version %d is too old to load; download a newer copy of this model", v)
	case v > gguf.MaxVersion:
		return fmt.Sprintf("GGUF version %d is newer than Chapel supports", v)
	}
	return ""
}

var (
	splitName = regexp.MustCompile(`-(\d{5})-of-(\d{5})$`)
)

// nameProblem flags GGUF files that are not chat models on their own: the
// later parts of a split model and vision projectors.
func nameProblem(name string) string {
	if m := splitName.FindStringSubmatch(name); m != nil && m[1] != "00001" {
		return fmt.Sprintf("part %s of %s of a split model; choose the first part", strings.TrimLeft(m[1], "0"), strings.TrimLeft(m[2], "0"))
	}
	if strings.HasPrefix(strings.ToLower(name), "mmproj") {
		return "a vision projector, not a chat model"
	}
	return ""
}
