package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/chapelapp/chapel/backend/apperr"
)

// testClock advances one millisecond per reading, so orderings by time are
// deterministic.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// openTest opens a fresh store in a temporary folder with a test clock.
func openTest(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "chapel.db"))
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	s.now = (&testClock{t: time.UnixMilli(1_700_000_000_000)}).now
	t.Cleanup(func() { s.Close() })
	return s
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("got %s error %q, want %s", got, err, code)
	}
}

func TestOpenCreatesFolderAndSetsPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "chapel.db")
	s := openAt(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	// Every pooled connection must carry the pragmas: the writer's one,
	// and several readers held at once.
	ctx := context.Background()
	type conn struct {
		name   string
		c      *sql.Conn
		writer bool
	}
	var conns []conn
	w, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conns = append(conns, conn{"writer", w, true})
	for i := range 3 {
		c, err := s.rdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn{fmt.Sprintf("reader %d", i), c, false})
	}
	for _, c := range conns {
		var journal string
		var fk, busy, sync, secure, queryOnly int
		for _, p := range []struct {
			pragma string
			dst    any
		}{{"journal_mode", &journal}, {"foreign_keys", &fk}, {"busy_timeout", &busy}, {"synchronous", &sync},
			{"secure_delete", &secure}, {"query_only", &queryOnly}} {
			if err := c.c.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(p.dst); err != nil {
				t.Fatal(err)
			}
		}
		if journal != "wal" || fk != 1 || busy != 5000 {
			t.Errorf("%s: journal_mode=%s foreign_keys=%d busy_timeout=%d", c.name, journal, fk, busy)
		}
		if c.writer && (sync != 1 || secure != 1 || queryOnly != 0) {
			t.Errorf("%s: synchronous=%d secure_delete=%d query_only=%d", c.name, sync, secure, queryOnly)
		}
		if !c.writer && queryOnly != 1 {
			t.Errorf("%s: query_only=%d", c.name, queryOnly)
		}
	}
	for _, c := range conns {
		c.c.Close()
	}
}

func TestOpenRefusesWhatIsNotAChapelDatabase(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("This is a plain text file, not SQLite.\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite3", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE photos (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	newer := filepath.Join(dir, "newer.db")
	s := openAt(t, newer)
	if _, err := s.db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	tests := []struct {
		name string
		path string
		code apperr.Code
		msg  string
	}{
		{"text file", text, apperr.Invalid, "is not a Chapel database"},
		{"another program's SQLite file", other, apperr.Invalid, "not a Chapel database"},
		{"a folder", dir, apperr.Invalid, "is a folder, not a Chapel database"},
		{"a newer schema", newer, apperr.Unavailable, "newer version of Chapel"},
		{"empty path", "", apperr.Invalid, "no database path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.path)
			if err == nil {
				s.Close()
			}
			wantCode(t, err, tt.code)
			t.Log(apperr.Message(err))
			if !strings.Contains(apperr.Message(err), tt.msg) {
				t.Errorf("message %q does not contain %q", apperr.Message(err), tt.msg)
			}
		})
	}
	// The text file must be left as it was.
	if b, _ := os.ReadFile(text); !strings.HasPrefix(string(b), "This is a plain text file") {
		t.Error("Open modified a file that is not a database")
	}
}

func TestDBErrorExplainsWhatAPersonCanFix(t *testing.T) {
	tests := []struct {
		err  error
		code apperr.Code
		msg  string
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, apperr.Unavailable, "the disk is full"},
		{sqlite3.Error{Code: sqlite3.ErrBusy}, apperr.Unavailable, "busy"},
		{sqlite3.Error{Code: sqlite3.ErrReadonly}, apperr.Unavailable, "read-only"},
		{sqlite3.Error{Code: sqlite3.ErrCorrupt}, apperr.Unavailable, "damaged"},
		{context.Canceled, apperr.Canceled, "interrupted"},
		{errors.New("boom"), apperr.Internal, "could not save"},
		{apperr.New(apperr.NotFound, "message 3 not found"), apperr.NotFound, "message 3 not found"},
	}
	for _, tt := range tests {
		err := dbError(tt.err, "could not save the message")
		if apperr.CodeOf(err) != tt.code || !strings.Contains(apperr.Message(err), tt.msg) {
			t.Errorf("dbError(%v) = %s %q, want %s containing %q", tt.err, apperr.CodeOf(err), apperr.Message(err), tt.code, tt.msg)
		}
	}
	if err := openError(sqlite3.Error{Code: sqlite3.ErrFull}, "/x/chapel.db"); !strings.Contains(apperr.Message(err), "disk is full") {
		t.Errorf("openError(full) = %q", apperr.Message(err))
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []int
		wantErr string
	}{
		{"ordered by number", fstest.MapFS{
			"migrations/0002_b.sql": file("B"), "migrations/0001_a.sql": file("A"), "migrations/0003_c.sql": file("C"),
		}, []int{1, 2, 3}, ""},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0003_c.sql": file("C")}, nil, "expected number 0002"},
		{"repeat", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0001_b.sql": file("B")}, nil, "expected number 0002"},
		{"bad name", fstest.MapFS{"migrations/1_a.sql": file("A")}, nil, "NNNN_name.sql"},
		{"none", fstest.MapFS{}, nil, "no migrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("versions = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := loadMigrations(migrationFiles); err != nil {
		t.Errorf("embedded migrations: %v", err)
	}
}

// schema lists every schema object, SQL included, in a stable order.
func schema(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '')
		FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func versions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestMigratedEqualsFresh upgrades a database stopped after each migration
// in turn and checks that it ends with exactly the schema of a fresh one.
func TestMigratedEqualsFresh(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	fresh := openTest(t)
	want := schema(t, fresh.db)
	var all []int
	for i := range ms {
		all = append(all, i+1)
	}
	if got := versions(t, fresh.db); !reflect.DeepEqual(got, all) {
		t.Fatalf("fresh database versions = %v, want %v", got, all)
	}
	for k := 1; k <= len(ms); k++ {
		path := filepath.Join(t.TempDir(), "chapel.db")
		db, err := sql.Open("sqlite3", path+"?"+dsnParams)
		if err != nil {
			t.Fatal(err)
		}
		if err := migrate(ctx, db, ms[:k], time.Now); err != nil {
			t.Fatalf("migrate to %d: %v", k, err)
		}
		if got := versions(t, db); len(got) != k {
			t.Fatalf("after %d steps versions = %v", k, got)
		}
		db.Close()
		s := openAt(t, path)
		if got := schema(t, s.db); !reflect.DeepEqual(got, want) {
			t.Errorf("stopped after %d of %d migrations, then opened: schema differs\ngot  %q\nwant %q", k, len(ms), got, want)
		}
		if got := versions(t, s.db); !reflect.DeepEqual(got, all) {
			t.Errorf("versions = %v, want %v", got, all)
		}
	}
	// Reopening an up-to-date database changes nothing.
	fresh.Close()
	again := openAt(t, fresh.path)
	if got := schema(t, again.db); !reflect.DeepEqual(got, want) {
		t.Error("reopening changed the schema")
	}
}

func TestFailedMigrationLeavesThePreviousStep(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations(fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x); CREATE TABLE c (")},
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "x.db")+"?"+dsnParams)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = migrate(ctx, db, ms, time.Now)
	if err == nil || !strings.Contains(err.Error(), "0002_b") {
		t.Fatalf("migrate err = %v, want it to name 0002_b", err)
	}
	if got := versions(t, db); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("versions = %v, want [1]", got)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'b'`).Scan(&n)
	if n != 0 {
		t.Error("table b of the failed migration was kept")
	}
}
