package ingest

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/chapelapp/chapel/backend/docs"
)

// item is a file to add, or a path that already failed (err set).
type item struct {
	path string
	err  error
}

// maxDepth bounds how deep folders are walked.
const maxDepth = 64

// expand turns the paths given into the files to add, in order: a file
// named directly is added whatever it is (an unsupported format fails
// alone); a folder is walked recursively, skipping hidden files and
// folders, files in formats Chapel can't read and folders already seen
// (symbolic-link loops). A path listed twice is added once. The files of a
// folder that were skipped (but hidden ones) come back in skipped, each
// with why, the first SkippedNamed of them; more counts the rest. Only
// cancellation stops it.
func expand(ctx context.Context, paths []string) (items []item, skipped []Failure, more int, err error) {
	w := &walker{files: map[string]bool{}, dirs: map[string]bool{}}
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			continue
		}
		p = filepath.Clean(p)
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			w.items = append(w.items, item{path: p, err: openError(err)})
		case fi.IsDir():
			n := len(w.items)
			if err := w.dir(ctx, p, 0); err != nil {
				if ctx.Err() != nil {
					return nil, nil, 0, ctx.Err()
				}
				w.items = append(w.items, item{path: p, err: folderError(err)})
			} else if len(w.items) == n {
				w.items = append(w.items, item{path: p, err: &fileError{msg: "this folder holds no documents Chapel can read"}})
			}
		case !fi.Mode().IsRegular():
			w.items = append(w.items, item{path: p, err: &fileError{msg: "this is not an ordinary file, so Chapel can't read it"}})
		default:
			if err := detect(p); err != nil {
				w.items = append(w.items, item{path: p, err: err})
				continue
			}
			w.add(p)
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
	}
	return w.items, w.skipped, w.more, nil
}

type walker struct {
	items   []item
	skipped []Failure       // files of folders not added, with why (the first SkippedNamed)
	more    int             // files of folders not added past those
	files   map[string]bool // real paths added
	dirs    map[string]bool // real paths of folders walked
}

// add adds a file unless it was added already (under any name).
func (w *walker) add(path string) {
	key := path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		key = real
	}
	if !w.files[key] {
		w.files[key] = true
		w.items = append(w.items, item{path: path})
	}
}

// dir walks a folder; only failing to list the folder named (depth 0) or
// cancellation is an error.
func (w *walker) dir(ctx context.Context, path string, depth int) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		if w.dirs[real] {
			return nil
		}
		w.dirs[real] = true
	}
	entries, err := os.ReadDir(path)
	if err != nil && depth == 0 && len(entries) == 0 {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(path, name)
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err != nil {
				w.skip(p, "this link points to nothing that can be opened")
				continue
			}
			typ = fi.Mode().Type()
		}
		switch {
		case typ.IsDir():
			if depth < maxDepth {
				if err := w.dir(ctx, p, depth+1); err != nil && ctx.Err() != nil {
					return err
				}
			}
		case typ.IsRegular():
			switch err := detect(p); {
			case err == nil:
				w.add(p)
			case isUnsupported(err):
				w.skip(p, message(err))
			default:
				w.items = append(w.items, item{path: p, err: err}) // a document Chapel could not open
			}
		default: // a named pipe, a socket, a device
			w.skip(p, "this is not an ordinary file, so Chapel can't read it")
		}
	}
	return nil
}

// skip records a file of a folder that is not added. Each folder is walked
// once, so each file is named once.
func (w *walker) skip(path, why string) {
	if len(w.skipped) >= SkippedNamed {
		w.more++
		return
	}
	w.skipped = append(w.skipped, Failure{File: path, Error: why})
}

// detect checks from its first bytes and name that Chapel reads the file.
func detect(path string) error {
	f, _, err := OpenRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return openError(err)
	}
	_, err = docs.Detect(filepath.Base(path), head[:n])
	return err
}

func isUnsupported(err error) bool {
	var ue *docs.UnsupportedError
	return errors.As(err, &ue)
}

// folderError says why a folder could not be listed.
func folderError(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return &fileError{msg: "Chapel isn't allowed to open this folder", err: err}
	}
	return &fileError{msg: "the folder could not be opened: " + causeText(err), err: err}
}
