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

// A damaged database (pages overwritten, a torn disk write, a bad sector)
// must not lock the user out of Chapel. IsDamaged tells such a database's
// errors apart; SetAside keeps the damaged files under a timestamped name;
// Salvage copies every row that can still be read into a new database, the
// way SQLite's .recover does, but through SQL only (go-sqlite3 does not
// build the recovery extension): table by table, key range by key range,
// skipping what cannot be read.

// ErrDamaged is what QuickCheck returns for a database whose pages do not
// hold together.
var ErrDamaged = errors.New("the database file is damaged")

// IsDamaged reports whether err says the database file is damaged: SQLite
// found a corrupt page, the file is no longer an SQLite database, or a
// check of its pages failed.
func IsDamaged(err error) bool {
	var se sqlite3.Error
	return errors.Is(err, ErrDamaged) || errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB)
}

// QuickCheck reads every page of the database and checks that they hold
// together (PRAGMA quick_check: the b-trees, not the indexes' contents).
// A damaged database gives an error IsDamaged recognises; a ctx that ends
// first stops the check with ctx's error.
func (s *Store) QuickCheck(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "PRAGMA quick_check(20)")
	if err != nil {
		return dbError(err, "could not check the database")
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return dbError(err, "could not check the database")
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return dbError(err, "could not check the database")
	}
	if len(problems) > 0 {
		return apperr.Wrap(apperr.Unavailable, fmt.Errorf("%w: %s", ErrDamaged, strings.Join(problems, "; ")), "the Chapel database %s is damaged", s.path)
	}
	return nil
}

// SetAside renames the database at path, with its WAL and shared-memory
// files, to "<name>-damaged-YYYYMMDD-HHMMSS.db" beside it, and returns the
// new path. SQLite finds a WAL by its database's name, so the copy keeps
// whatever the WAL held.
func SetAside(path string, now time.Time) (string, error) {
	dir, base := filepath.Split(path)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	aside := filepath.Join(dir, fmt.Sprintf("%s-damaged-%s%s", stem, now.Format("20060102-150405"), filepath.Ext(base)))
	for i := 2; fileExists(aside); i++ {
		aside = filepath.Join(dir, fmt.Sprintf("%s-damaged-%s-%d%s", stem, now.Format("20060102-150405"), i, filepath.Ext(base)))
	}
	for _, suffix := range []string{"-wal", "-shm", ""} { // the database last: a crash half way leaves it in place
		if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", apperr.Wrap(apperr.Unavailable, err, "could not keep a copy of the damaged database %s", path)
		}
	}
	return aside, nil
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// SalvageReport says what a salvage saved.
type SalvageReport struct {
	Rows          int            `json:"rows"`            // rows copied, every table together
	Tables        map[string]int `json:"tables"`          // rows copied per table
	Unreadable    []string       `json:"unreadable"`      // tables with parts that could not be read
	Conversations int            `json:"conversations"`   // in the new database
	Messages      int            `json:"messages"`        // in the new database
	Documents     int            `json:"documents"`       // in the new database
	Orphans       int            `json:"orphans_dropped"` // rows dropped because what they belonged to was lost
}

// maxFailedProbes bounds the single-key reads a salvage tries in one table
// after reads fail: a damaged page can hide a key range of any width.
const maxFailedProbes = 5000

// Salvage creates a Chapel database at dst (which must not exist) and
// copies into it every row of the database at src that can be read. Rows
// whose parent (a message's conversation, a chunk's document) was lost are
// dropped; the full-text indexes are rebuilt from what was saved.
func Salvage(ctx context.Context, src, dst string) (SalvageReport, error) {
	rep := SalvageReport{Tables: map[string]int{}}
	if fileExists(dst) {
		return rep, apperr.New(apperr.Conflict, "%s already exists", dst)
	}
	fresh, err := Open(ctx, dst)
	if err != nil {
		return rep, err
	}
	fresh.Close()
	os.Remove(dst + reserveSuffix) // the database that takes dst's place makes its own
	out, err := sql.Open("sqlite3", dst+"?_foreign_keys=off&_journal_mode=WAL&_busy_timeout=5000")
	if err != nil {
		return rep, apperr.Wrap(apperr.Internal, err, "could not open the new database %s", dst)
	}
	defer out.Close()
	out.SetMaxOpenConns(1)
	in, err := openDamaged(ctx, src)
	if err != nil {
		return rep, err
	}
	defer in.Close()

	tables, err := salvageTables(ctx, out)
	if err != nil {
		return rep, err
	}
	for _, t := range tables {
		n, complete, err := copyTable(ctx, in, out, t)
		if err != nil {
			return rep, err
		}
		rep.Tables[t.name], rep.Rows = n, rep.Rows+n
		if !complete {
			rep.Unreadable = append(rep.Unreadable, t.name)
		}
	}
	if rep.Orphans, err = dropOrphans(ctx, out, tables); err != nil {
		return rep, err
	}
	for _, c := range []struct {
		table string
		n     *int
	}{{"conversations", &rep.Conversations}, {"messages", &rep.Messages}, {"documents", &rep.Documents}} {
		if err := out.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(c.table)).Scan(c.n); err != nil {
			return rep, apperr.Wrap(apperr.Internal, err, "could not count the saved %s", c.table)
		}
	}
	if _, err := out.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return rep, apperr.Wrap(apperr.Internal, err, "could not write the new database %s", dst)
	}
	return rep, nil
}

// openDamaged opens the damaged database read-only (so the copy kept stays
// as it was), or, where SQLite cannot read its WAL that way, read-write.
func openDamaged(ctx context.Context, path string) (*sql.DB, error) {
	var err error
	for _, dsn := range []string{"file:" + path + "?mode=ro", "file:" + path} {
		var db *sql.DB
		if db, err = sql.Open("sqlite3", dsn); err != nil {
			continue
		}
		db.SetMaxOpenConns(1)
		if err = db.PingContext(ctx); err == nil {
			return db, nil
		}
		db.Close()
	}
	// SQLite reads the list of tables before anything else: when it is on a
	// damaged page, no table can be found (the recovery extension, which
	// reads pages without it, is not in go-sqlite3).
	return nil, apperr.Wrap(apperr.Unavailable, err, "nothing can be read from the damaged database %s: its list of tables is damaged; start fresh instead", path)
}

// salvageTable is one table of the new schema and how to read it in parts.
type salvageTable struct {
	name string
	cols []string // the columns of the new schema
	key  string   // an integer column to read by ranges (rowid, or the first key column), "" for none
	fks  []foreignKey
}

type foreignKey struct{ from, table, to string }

// salvageTables lists the tables a salvage copies, parents first: every
// ordinary table of the schema but the migration record (the new file's
// is right) and the full-text indexes' own tables (rebuilt by triggers as
// rows arrive).
func salvageTables(ctx context.Context, db *sql.DB) ([]salvageTable, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY rowid`)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "could not read the new database's schema")
	}
	type entry struct{ name, sql string }
	var all []entry
	for rows.Next() {
		var e entry
		var s sql.NullString
		if err := rows.Scan(&e.name, &s); err != nil {
			rows.Close()
			return nil, apperr.Wrap(apperr.Internal, err, "could not read the new database's schema")
		}
		e.sql = s.String
		all = append(all, e)
	}
	rows.Close()
	var virtual []string
	for _, e := range all {
		if strings.HasPrefix(strings.ToUpper(e.sql), "CREATE VIRTUAL TABLE") {
			virtual = append(virtual, e.name)
		}
	}
	var out []salvageTable
	for _, e := range all {
		if e.name == "schema_migrations" || strings.HasPrefix(e.name, "sqlite_") || isShadow(e.name, virtual) {
			continue
		}
		t := salvageTable{name: e.name, key: "rowid"}
		withoutRowid := strings.Contains(strings.ToUpper(e.sql), "WITHOUT ROWID")
		if withoutRowid {
			t.key = ""
		}
		info, err := db.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?)`, e.name)
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "could not read the columns of %s", e.name)
		}
		for info.Next() {
			var name, typ string
			var pk int
			if err := info.Scan(&name, &typ, &pk); err != nil {
				info.Close()
				return nil, apperr.Wrap(apperr.Internal, err, "could not read the columns of %s", e.name)
			}
			t.cols = append(t.cols, name)
			if withoutRowid && pk == 1 && strings.Contains(strings.ToUpper(typ), "INT") {
				t.key = name
			}
		}
		info.Close()
		fk, err := db.QueryContext(ctx, `SELECT "table", "from", "to" FROM pragma_foreign_key_list(?)`, e.name)
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "could not read the foreign keys of %s", e.name)
		}
		for fk.Next() {
			var k foreignKey
			var to sql.NullString
			if err := fk.Scan(&k.table, &k.from, &to); err != nil {
				fk.Close()
				return nil, apperr.Wrap(apperr.Internal, err, "could not read the foreign keys of %s", e.name)
			}
			k.to = to.String
			if k.to == "" {
				k.to = "rowid"
			}
			t.fks = append(t.fks, k)
		}
		fk.Close()
		out = append(out, t)
	}
	return out, nil
}

func isShadow(name string, virtual []string) bool {
	for _, v := range virtual {
		if name == v || strings.HasPrefix(name, v+"_") {
			return true
		}
	}
	return false
}

// copyTable copies the readable rows of t from in to out. complete is
// false when some part of the table could not be read.
func copyTable(ctx context.Context, in, out *sql.DB, t salvageTable) (n int, complete bool, err error) {
	srcCols, err := sourceColumns(ctx, in, t.name)
	if err != nil || len(srcCols) == 0 {
		return 0, false, nil // the table, or the schema page naming it, is gone
	}
	var cols []string
	for _, c := range t.cols {
		if srcCols[c] {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return 0, true, nil
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c)
	}
	tx, err := out.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, apperr.Wrap(apperr.Internal, err, "could not write the new database")
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT OR REPLACE INTO %s (%s) VALUES (%s)",
		quoteIdent(t.name), strings.Join(quoted, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")))
	if err != nil {
		return 0, false, apperr.Wrap(apperr.Internal, err, "could not write the new database")
	}
	defer ins.Close()
	c := &tableCopy{in: in, ins: ins, cols: strings.Join(quoted, ", "), table: quoteIdent(t.name), key: quoteIdent(t.key)}
	if t.key != "" && srcCols[t.key] || t.key == "rowid" {
		complete, err = c.byRanges(ctx)
	} else {
		complete, err = c.scan(ctx)
	}
	if err != nil {
		return 0, false, err
	}
	if err := tx.Commit(); err != nil {
		return 0, false, apperr.Wrap(apperr.Internal, err, "could not write the new database")
	}
	return c.n, complete, nil
}

// sourceColumns reads the damaged database's columns of a table.
func sourceColumns(ctx context.Context, in *sql.DB, table string) (map[string]bool, error) {
	rows, err := in.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols[c] = true
	}
	return cols, rows.Err()
}

// tableCopy reads one table of the damaged database.
type tableCopy struct {
	in     *sql.DB
	ins    *sql.Stmt
	cols   string
	table  string
	key    string
	n      int
	probes int // single-key reads that failed
}

// byRanges reads the table in key ranges. A range that fails part way
// keeps the rows read before the failure and goes on after them; a range
// that fails at once is split in two, down to single keys, so that only
// the keys on unreadable pages are lost.
func (c *tableCopy) byRanges(ctx context.Context) (complete bool, err error) {
	lo, hi := int64(-1<<62), int64(1<<62)
	var mn, mx sql.NullInt64
	if err := c.in.QueryRowContext(ctx, fmt.Sprintf("SELECT min(%s), max(%s) FROM %s", c.key, c.key, c.table)).Scan(&mn, &mx); err == nil {
		if !mn.Valid {
			return true, nil // empty
		}
		lo, hi = mn.Int64, mx.Int64
	}
	complete = true
	stack := [][2]int64{{lo, hi}}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		last, read, ok, err := c.rangeRows(ctx, r[0], r[1])
		if err != nil {
			return false, err
		}
		if ok {
			continue
		}
		complete = false
		switch {
		case read && last < r[1]:
			stack = append(stack, [2]int64{last + 1, r[1]}) // go on after the rows read
		case r[0] < r[1]:
			mid := r[0] + (r[1]-r[0])/2
			stack = append(stack, [2]int64{mid + 1, r[1]}, [2]int64{r[0], mid}) // the lower half first
		default:
			if c.probes++; c.probes > maxFailedProbes {
				return false, nil
			}
		}
	}
	return complete, nil
}

// rangeRows copies the rows with keys lo..hi. ok is false when reading
// failed; read and last say whether rows came before and the last key.
func (c *tableCopy) rangeRows(ctx context.Context, lo, hi int64) (last int64, read, ok bool, err error) {
	ok, err = c.scanInto(ctx, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s BETWEEN ? AND ? ORDER BY %s", c.key, c.cols, c.table, c.key, c.key),
		[]any{lo, hi}, func(key int64) { last, read = key, true })
	return last, read, ok, err
}

// scan copies the rows a plain read returns, until one cannot be read.
func (c *tableCopy) scan(ctx context.Context) (bool, error) {
	return c.scanInto(ctx, fmt.Sprintf("SELECT NULL, %s FROM %s", c.cols, c.table), nil, func(int64) {})
}

// scanInto runs query on the damaged database and inserts each row it
// returns (the first column is its key). ok is false when the read failed;
// err is set only when the new database could not be written.
func (c *tableCopy) scanInto(ctx context.Context, query string, args []any, seen func(int64)) (ok bool, err error) {
	rows, qerr := c.in.QueryContext(ctx, query, args...)
	if qerr != nil {
		return false, ctxErr(ctx)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return false, ctxErr(ctx)
		}
		if _, err := c.ins.ExecContext(ctx, vals[1:]...); err != nil {
			continue // a row the new schema refuses (a broken value): leave it
		}
		c.n++
		if k, ok := vals[0].(int64); ok {
			seen(k)
		}
	}
	if rows.Err() != nil {
		return false, ctxErr(ctx)
	}
	return true, nil
}

func ctxErr(ctx context.Context) error { return ctx.Err() }

// dropOrphans deletes the rows whose parent row was not saved (a message
// whose conversation was on a lost page), until none is left.
func dropOrphans(ctx context.Context, db *sql.DB, tables []salvageTable) (int, error) {
	total := 0
	for {
		n := 0
		for _, t := range tables {
			for _, k := range t.fks {
				res, err := db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s IS NOT NULL AND %s NOT IN (SELECT %s FROM %s)",
					quoteIdent(t.name), quoteIdent(k.from), quoteIdent(k.from), quoteIdent(k.to), quoteIdent(k.table)))
				if err != nil {
					return total, apperr.Wrap(apperr.Internal, err, "could not tidy the new database")
				}
				d, _ := res.RowsAffected()
				n += int(d)
			}
		}
		if total += n; n == 0 {
			return total, nil
		}
	}
}

func quoteIdent(s string) string {
	if s == "rowid" {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
