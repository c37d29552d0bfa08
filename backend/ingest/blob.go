package ingest

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"lukechampine.com/blake3"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/docs"
	"github.com/chapelapp/chapel/backend/paths"
)

// tempPrefix names files being copied into the documents folder.
const tempPrefix = ".incoming-"

// copyBuffer is the size of the reads that copy a file (and of the writes
// BLAKE3 hashes in parallel).
const copyBuffer = 1 << 20

// blob is a file's bytes in the documents folder: <dir>/<hh>/<hash>.
type blob struct {
	path string
	hash string // 64 hex digits of BLAKE3-256
	size int64
}

// fileError is a failure with a sentence about the file for the user.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// copyIn copies the file at path into the documents folder, hashing it in
// the same pass, and reports bytes copied to progress (first with 0). The
// copy is renamed to its hash, or dropped when that blob exists. Cancelling
// ctx stops it between reads and removes the partial copy.
func (s *Service) copyIn(ctx context.Context, path string, progress func(done, total int64)) (blob, error) {
	f, fi, err := OpenRegular(path)
	if err != nil {
		return blob{}, err
	}
	defer f.Close()
	// Refuse what extraction would refuse before copying a byte of it.
	head := make([]byte, min(fi.Size(), 1024))
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, int64(len(head))), head); err != nil {
		return blob{}, &fileError{msg: "the file could not be read; it may have been moved, or its disk removed", err: err}
	}
	if _, err := docs.Admit(filepath.Base(path), head, fi.Size(), s.limits()); err != nil {
		return blob{}, err
	}
	if err := s.makeDir(); err != nil {
		return blob{}, writeError(err)
	}
	tmp, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return blob{}, writeError(err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := blake3.New(32, nil)
	buf := make([]byte, copyBuffer)
	var done int64
	progress(0, fi.Size())
	for {
		if err := ctx.Err(); err != nil {
			return blob{}, err
		}
		n, rerr := f.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, err := tmp.Write(buf[:n]); err != nil {
				return blob{}, writeError(err)
			}
			done += int64(n)
			progress(done, max(done, fi.Size()))
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return blob{}, &fileError{msg: "the file could not be read; it may have been moved, or its disk removed", err: rerr}
		}
	}
	if done == 0 {
		return blob{}, &fileError{msg: "the file is empty"}
	}
	if err := tmp.Sync(); err != nil {
		return blob{}, writeError(err)
	}
	if err := tmp.Close(); err != nil {
		return blob{}, writeError(err)
	}
	b := blob{hash: hex.EncodeToString(h.Sum(nil)), size: done}
	b.path = filepath.Join(s.dir, b.hash[:2], b.hash)
	if _, err := os.Stat(b.path); err == nil {
		return b, nil // the same bytes are stored already: the deferred func drops the copy
	}
	if err := os.MkdirAll(filepath.Dir(b.path), 0o700); err != nil {
		return blob{}, writeError(err)
	}
	if err := os.Rename(tmp.Name(), b.path); err != nil {
		return blob{}, writeError(err)
	}
	keep = true
	return b, nil
}

// makeDir creates the documents folder, readable by the user alone (and
// makes one an earlier version left open to others private).
func (s *Service) makeDir() error { return paths.PrivateDir(s.dir) }

// dropBlob removes a blob no document uses (after a failed extraction).
func (s *Service) dropBlob(ctx context.Context, b blob) {
	ctx = context.WithoutCancel(ctx) // cleaning up after a cancellation too
	if _, found, err := s.st.DocumentByHash(ctx, b.hash); err != nil || found {
		return
	}
	if err := os.Remove(b.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("could not remove a stored file no document uses", "path", b.path, "error", err)
	}
}

// Prune removes stored files no document uses any more (left by deleted
// documents, or by a crash between copying and saving). Call it only when
// no other Chapel process may be adding documents to the same folder.
func (s *Service) Prune(ctx context.Context) (removed int, err error) {
	select {
	case s.turn <- struct{}{}: // not while this process adds a file
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	names, err := filepath.Glob(filepath.Join(s.dir, "[0-9a-f][0-9a-f]", "*"))
	if err != nil {
		return 0, err
	}
	for _, n := range names {
		hash := filepath.Base(n)
		if len(hash) != 64 || hash[:2] != filepath.Base(filepath.Dir(n)) {
			continue
		}
		_, found, err := s.st.DocumentByHash(ctx, hash)
		if err != nil {
			return removed, err
		}
		if !found {
			if err := os.Remove(n); err == nil {
				removed++
			} else if !errors.Is(err, fs.ErrNotExist) {
				s.log.Warn("could not remove a stored file no document uses", "path", n, "error", err)
			}
		}
	}
	return removed, nil
}

// Forget removes the stored file of a deleted document (hash), unless
// another document still uses it.
func (s *Service) Forget(ctx context.Context, hash string) {
	if len(hash) != 64 {
		return
	}
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return
	}
	s.dropBlob(ctx, blob{hash: hash, path: filepath.Join(s.dir, hash[:2], hash)})
}

// Release removes the stored file of a document about to be deleted,
// before its rows go: on a full disk that frees room for the delete. The
// file is only ever read while the document is added, so a delete that
// then fails leaves a document that works; adding the same file again
// stores it again.
func (s *Service) Release(hash string) {
	if len(hash) != 64 {
		return
	}
	p := filepath.Join(s.dir, hash[:2], hash)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("could not remove the stored file of a document being deleted", "path", p, "error", err)
	}
}

// removeStaleTemps removes partial copies a crash left behind. Copies less
// than a day old may belong to another Chapel process, and stay.
func (s *Service) removeStaleTemps() {
	names, _ := filepath.Glob(filepath.Join(s.dir, tempPrefix+"*"))
	for _, n := range names {
		if fi, err := os.Stat(n); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			if err := os.Remove(n); err == nil {
				s.log.Info("removed a partial copy left behind", "path", n)
			}
		}
	}
}

// openError says why a file (or folder) could not be opened.
func openError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &fileError{msg: "the file was not found; it may have been moved or deleted", err: err}
	case errors.Is(err, fs.ErrPermission):
		return &fileError{msg: "Chapel isn't allowed to read this file", err: err}
	}
	return &fileError{msg: "the file could not be opened: " + causeText(err), err: err}
}

// writeError says why the copy into the documents folder failed.
func writeError(err error) error {
	if diskFull(err) {
		return &fileError{msg: "the disk is full; free some space and add the file again", err: err}
	}
	return &fileError{msg: "Chapel could not save a copy of the file in its documents folder: " + causeText(err), err: err}
}

// diskFull reports whether err says the disk (or the user's quota) is full.
func diskFull(err error) bool {
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var errno syscall.Errno
	// ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL.
	return runtime.GOOS == "windows" && errors.As(err, &errno) && (errno == 39 || errno == 112)
}

// causeText is the system's reason, without the path an *fs.PathError adds.
func causeText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// message is the sentence a failure shows next to the file's name.
func message(err error) string {
	var fe *fileError
	var de *docs.Error
	var ue *docs.UnsupportedError
	var ae *apperr.Error
	switch {
	case errors.As(err, &fe):
		return fe.msg
	case errors.As(err, &de):
		return de.Msg
	case errors.As(err, &ue):
		return ue.Error()
	case errors.As(err, &ae):
		return apperr.Message(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "adding the file was stopped"
	}
	return "something went wrong inside Chapel while adding the file; the details are in the log"
}
