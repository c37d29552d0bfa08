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
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/chapelapp/chapel/backend/apperr"
)

// writerParams are set on the one connection that writes: WAL so readers
// never wait for the writer, foreign keys for ON DELETE CASCADE, a busy
// timeout so two processes' writers queue instead of failing, BEGIN
// IMMEDIATE so a transaction takes the write lock up front instead of
// failing half way through, and secure_delete so deleted text is
// overwritten with zeros instead of lingering in free pages.
const writerParams = "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate&_synchronous=NORMAL&_secure_delete=on"

// dsnParams is what the schema tests open a bare database with.
const dsnParams = writerParams

// readerParams are set on the pooled connections that only read: plain
// (deferred) BEGIN, so a read never takes the write lock and never waits
// behind a writer, and query_only, so they cannot write by mistake.
const readerParams = "_foreign_keys=on&_busy_timeout=5000&_txlock=deferred&_query_only=on"

// readers is how many connections may read at once.
const readers = 4

// Store is an open Chapel database. It is safe for concurrent use: writes
// go through one connection, one transaction at a time; reads through a
// pool of read-only connections that see the last committed state.
type Store struct {
	db      *sql.DB // the writer
	rdb     *sql.DB // the readers
	path    string
	reserve reserve
	now     func() time.Time // replaced in tests

	mu     sync.Mutex
	closed bool
	ops    sync.WaitGroup // transactions under way
}

// Open opens (creating it and its folder if needed) the database at path and
// brings its schema up to date. The database and the files SQLite keeps
// beside it are readable by the user alone.
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
	if err := makePrivate(abs); err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "could not create the database %s (check that the folder is writable)", abs)
	}
	s, err := open(ctx, abs)
	if isFull(err) && (reserve{path: abs + reserveSuffix}).release() {
		// A full disk: opening needs room for the WAL and shared memory.
		s, err = open(ctx, abs)
	}
	return s, err
}

// open opens the database at the absolute path abs and migrates it.
func open(ctx context.Context, abs string) (*Store, error) {
	db, err := sql.Open("sqlite3", abs+"?"+writerParams)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "could not open the database %s", abs)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, path: abs, now: time.Now, reserve: reserve{path: abs + reserveSuffix, size: reserveBytes}}
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
	if err := ftsSecureDelete(ctx, db); err != nil {
		db.Close()
		return nil, openError(err, abs)
	}
	s.rdb, err = sql.Open("sqlite3", abs+"?"+readerParams)
	if err == nil {
		s.rdb.SetMaxOpenConns(readers)
		err = s.rdb.PingContext(ctx)
	}
	if err != nil {
		db.Close()
		if s.rdb != nil {
			s.rdb.Close()
		}
		return nil, openError(err, abs)
	}
	s.reserve.ensure()
	return s, nil
}

// makePrivate creates the database file, readable and writable by the user
// alone, before SQLite does (SQLite gives its WAL and shared-memory files
// the database file's mode), and takes those rights back from others on a
// database an earlier version made.
func makePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil // read-only: SQLite says so when it opens it
		}
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(p, fi.Mode().Perm()&0o700)
		}
	}
	return nil
}

// Close waits for the transactions under way to end, refuses new ones,
// folds the WAL back into the database and closes it.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.ops.Wait()
	err := s.rdb.Close()
	_, cerr := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	if isFull(cerr) && s.reserve.release() {
		// The database file grows to take the WAL's pages: on a full disk,
		// the reserve makes that room (Open makes it again).
		_, cerr = s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	if cerr != nil && err == nil {
		err = cerr
	}
	if cerr := s.db.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return apperr.Wrap(apperr.Internal, err, "could not close the database %s", s.path)
	}
	return nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

func (s *Store) nowMS() int64 { return s.now().UnixMilli() }

// inTx runs fn in one write transaction: BeginTx, a deferred Rollback (a
// no-op after Commit), fn, Commit. Errors are classified by dbError with
// what as the sentence, unless fn already returned a coded error.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	return s.run(ctx, s.db, what, fn)
}

// readTx runs fn in one read transaction on a reader connection: it sees
// one committed state of the database and never waits for the writer.
func (s *Store) readTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	return s.run(ctx, s.rdb, what, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, what string, fn func(tx *sql.Tx) error) error {
	if err := s.begin(what); err != nil {
		return err
	}
	defer s.ops.Done()
	tx, err := db.BeginTx(ctx, nil)
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

// begin counts a transaction in, unless the store is closing.
func (s *Store) begin(what string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return apperr.New(apperr.Unavailable, "%s: Chapel is closing", what)
	}
	s.ops.Add(1)
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
