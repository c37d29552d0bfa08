// Package store owns Chapel's SQLite database: conversations and their
// messages, the settings key-value table, documents (their extracted text,
// page and section maps and passages, with an FTS5 index) and summaries
// with every partial piece, plus the embedded, numbered schema migrations
// that create them. Every exported method runs in one transaction;
// errors carry apperr codes and a sentence a person can read.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/chapelapp/chapel/backend/apperr"
)

// dsnParams are set on every pooled connection: WAL so readers never wait
// for the writer, foreign keys for ON DELETE CASCADE, a busy timeout so two
// writers queue instead of failing, and BEGIN IMMEDIATE so a transaction
// takes the write lock up front instead of failing half way through.
const dsnParams = "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate&_synchronous=NORMAL"

// Store is an open Chapel database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time // replaced in tests
}

// Open opens (creating it and its folder if needed) the database at path and
// brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, apperr.New(apperr.Invalid, "no database path given")
	}
	if strings.ContainsRune(path, '?') {
		return nil, apperr.New(apperr.Invalid, "the database path %q must not contain '?'", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "could not resolve the database path %q", path)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "could not create Chapel's data folder %s", filepath.Dir(abs))
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, apperr.New(apperr.Invalid, "%s is a folder, not a Chapel database", abs)
	}
	db, err := sql.Open("sqlite3", abs+"?"+dsnParams)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "could not open the database %s", abs)
	}
	s := &Store{db: db, path: abs, now: time.Now}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, openError(err, abs)
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		db.Close()
		return nil, apperr.Wrap(apperr.Internal, err, "Chapel's database migrations are broken")
	}
	if err := migrate(ctx, db, ms, s.now); err != nil {
		db.Close()
		return nil, openError(err, abs)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return apperr.Wrap(apperr.Internal, err, "could not close the database %s", s.path)
	}
	return nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

func (s *Store) nowMS() int64 { return s.now().UnixMilli() }

// inTx runs fn in one transaction: BeginTx, a deferred Rollback (a no-op
// after Commit), fn, Commit. Errors are classified by dbError with what as
// the sentence, unless fn already returned a coded error.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err, "%s", what)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return dbError(err, "%s", what)
	}
	if err := tx.Commit(); err != nil {
		return dbError(err, "%s", what)
	}
	return nil
}

// dbError gives err a code. Coded errors pass through unchanged; SQLite
// errors a person can act on (disk full, busy, read-only, damaged) get a
// sentence saying so; anything else is internal.
func dbError(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apperr.Wrap(apperr.Canceled, err, "%s: interrupted", what)
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull:
			return apperr.Wrap(apperr.Unavailable, err, "%s: the disk is full; free some space and try again", what)
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return apperr.Wrap(apperr.Unavailable, err, "%s: the database is busy (is another Chapel running?)", what)
		case sqlite3.ErrReadonly, sqlite3.ErrPerm:
			return apperr.Wrap(apperr.Unavailable, err, "%s: the database is read-only", what)
		case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
			return apperr.Wrap(apperr.Unavailable, err, "%s: the database file is damaged", what)
		case sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
			return apperr.Wrap(apperr.Unavailable, err, "%s: the database file cannot be read or written", what)
		}
	}
	return apperr.Wrap(apperr.Internal, err, "%s", what)
}

// openError explains why the database at path could not be opened.
func openError(err error, path string) error {
	var newer *newerSchemaError
	if errors.As(err, &newer) {
		return apperr.Wrap(apperr.Unavailable, err, "the Chapel database %s was made by a newer version of Chapel; update Chapel to open it", path)
	}
	if errors.Is(err, errForeignDatabase) {
		return apperr.Wrap(apperr.Invalid, err, "%s is not a Chapel database (it belongs to another program)", path)
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrNotADB:
			return apperr.Wrap(apperr.Invalid, err, "%s is not a Chapel database (it is not an SQLite file)", path)
		case sqlite3.ErrCorrupt:
			return apperr.Wrap(apperr.Unavailable, err, "the Chapel database %s is damaged", path)
		case sqlite3.ErrFull:
			return apperr.Wrap(apperr.Unavailable, err, "could not open the Chapel database %s: the disk is full; free some space and try again", path)
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrReadonly:
			return apperr.Wrap(apperr.Unavailable, err, "could not open the Chapel database %s (check that the folder is writable)", path)
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return apperr.Wrap(apperr.Unavailable, err, "the Chapel database %s is locked by another program", path)
		}
	}
	return dbError(err, "could not open the Chapel database %s", path)
}
