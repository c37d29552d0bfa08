package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mattn/go-sqlite3"

	"github.com/chapelapp/chapel/backend/paths"
)

// Deleting must leave nothing behind and must work on a full disk.
//
// Nothing behind: the writer runs with secure_delete, so SQLite zeroes the
// cells and pages a delete frees; the full-text index runs with FTS5's
// secure-delete option (ftsSecureDelete), so deleted passages leave its
// pages too; and after a delete the WAL, which still holds the pages as they
// were before, is checkpointed into the database and truncated.
//
// A full disk: SQLite needs room in the WAL to delete anything. The store
// keeps a small reserve file beside the database; when a delete fails
// because the disk is full, the reserve is given up, the WAL emptied and the
// delete tried again. The reserve comes back once there is room. It is
// reserveBytes, or a fifth of a small disk: on a 14 MB disk a full 8 MB
// reserve took the room a summary was writing in ("the disk is full" with
// 9 MB free), again at every run.

// reserveSuffix names the reserve file: chapel.db-reserve.
const reserveSuffix = "-reserve"

// reserveBytes is how much room the reserve keeps for deleting.
const reserveBytes = 8 << 20

// reserveShare: the reserve takes at most 1/reserveShare of its disk.
const reserveShare = 5

// reserve is a file of zeros, written out (not sparse) so its blocks are
// really taken, that a delete on a full disk may free.
type reserve struct {
	path string
	size int64
	// diskSize measures the size of its disk (paths.DiskSize; tests inject).
	diskSize func(dir string) (int64, error)
}

// want is the reserve's size on its disk: size, or less on a small disk.
func (r reserve) want() int64 {
	measure := r.diskSize
	if measure == nil {
		measure = paths.DiskSize
	}
	if total, err := measure(filepath.Dir(r.path)); err == nil && total > 0 {
		return min(r.size, total/reserveShare)
	}
	return r.size
}

// ensure (re)creates the reserve when it is missing or short. It gives up
// quietly when the disk has no room for it; the next delete tries again.
func (r reserve) ensure() {
	if r.size <= 0 {
		return
	}
	size := r.want()
	if fi, err := os.Stat(r.path); err == nil && fi.Size() >= size {
		if fi.Size() > size {
			_ = os.Truncate(r.path, size) // made before, by an older Chapel or on a larger disk
		}
		return
	}
	tmp := r.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	buf := make([]byte, 1<<20)
	var werr error
	for done := int64(0); done < size && werr == nil; done += int64(len(buf)) {
		_, werr = f.Write(buf[:min(int64(len(buf)), size-done)])
	}
	if werr == nil {
		werr = f.Sync()
	}
	f.Close()
	if werr != nil {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, r.path); err != nil {
		os.Remove(tmp)
	}
}

// release frees the reserve's room; false when there was none to free.
func (r reserve) release() bool {
	os.Remove(r.path + ".tmp")
	return os.Remove(r.path) == nil
}

// deleteTx runs a transaction that deletes: on a full disk it frees the
// reserve and tries once more; afterwards it folds the WAL (which still
// holds the deleted rows' old pages) into the database and truncates it,
// then makes the reserve again.
func (s *Store) deleteTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	err := s.inTx(ctx, what, fn)
	if isFull(err) {
		s.checkpoint(ctx)
		if s.reserve.release() {
			err = s.inTx(ctx, what, fn)
		}
	}
	if err != nil {
		return err
	}
	s.checkpoint(ctx)
	s.reserve.ensure()
	return nil
}

// checkpoint copies the WAL into the database and truncates it, as far as
// readers in other processes allow. A failure is not the delete's: the
// next checkpoint (at the latest when the store closes) goes on.
func (s *Store) checkpoint(ctx context.Context) {
	if s.begin("checkpoint") != nil {
		return
	}
	defer s.ops.Done()
	_, _ = s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
}

// isFull reports whether err says the disk is full: SQLite's "database or
// disk is full", or an I/O error whose cause is ENOSPC (creating the WAL or
// the shared-memory file).
func isFull(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrFull || se.Code == sqlite3.ErrIoErr && errors.Is(se.SystemErrno, syscall.ENOSPC))
}

// ftsSecureDelete turns on FTS5's secure-delete option for every full-text
// index in the schema (the passages', the messages', any a later migration
// adds). The option lives in each index's own config table, so this writes
// once per index: a delete then removes the words from the index's pages
// at once instead of recording a tombstone beside them until a merge. The
// first time, the index is also merged into one segment, which drops what
// earlier deletes left.
func ftsSecureDelete(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE % USING fts5%'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		q := `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
		var on int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+strings.ReplaceAll(n+"_config", `"`, `""`)+`" WHERE k = 'secure-delete' AND v = 1`).Scan(&on); err != nil {
			return err
		}
		if on > 0 {
			continue
		}
		if err := func() error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+q+` (`+q+`, rank) VALUES ('secure-delete', 1)`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+q+` (`+q+`) VALUES ('optimize')`); err != nil {
				return err
			}
			return tx.Commit()
		}(); err != nil {
			return fmt.Errorf("turn on secure-delete for %s: %w", n, err)
		}
	}
	return nil
}
