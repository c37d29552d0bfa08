package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// migrationFiles holds the schema, one numbered file per step:
// migrations/0001_init.sql, migrations/0002_….sql, … Never edit a released
// migration; add the next number instead.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// errForeignDatabase: the file is an SQLite database with tables but no
// schema_migrations, so it belongs to some other program.
var errForeignDatabase = errors.New("an SQLite database without Chapel's schema")

// newerSchemaError: the database has migrations this build does not know.
type newerSchemaError struct{ have, know int }

func (e *newerSchemaError) Error() string {
	return fmt.Sprintf("database schema %d is newer than this Chapel's %d", e.have, e.know)
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads migrations/*.sql from fsys, ordered by number. The
// numbers must run 1, 2, 3, … without gaps or repeats.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		m := migrationName.FindStringSubmatch(base)
		if m == nil {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", base)
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: m[2], sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected number %04d (numbers must run 1, 2, 3, … without gaps)", m.version, m.name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations found")
	}
	return ms, nil
}

// migrate applies the migrations db has not seen yet, each in its own
// transaction together with its row in schema_migrations, so a failed step
// leaves the database at the step before. A database that already holds
// tables but no schema_migrations is someone else's and is left alone.
func migrate(ctx context.Context, db *sql.DB, ms []migration, now func() time.Time) error {
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if current > len(ms) {
		return &newerSchemaError{have: current, know: len(ms)}
	}
	for _, m := range ms[current:] {
		if err := applyMigration(ctx, db, m, now); err != nil {
			return err
		}
	}
	return nil
}

// schemaVersion creates schema_migrations when the database is empty and
// returns the highest migration applied.
func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var tracked, objects int
	err = tx.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE type = 'table' AND name = 'schema_migrations'),
		count(*) FILTER (WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\')
		FROM sqlite_master`).Scan(&tracked, &objects)
	if err != nil {
		return 0, err
	}
	if tracked == 0 {
		if objects > 0 {
			return 0, errForeignDatabase
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL
		)`)
		if err != nil {
			return 0, fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return version, tx.Commit()
}

// applyMigration runs one migration and records it, in one transaction. The
// version is re-checked inside the transaction (BEGIN IMMEDIATE holds the
// write lock) so two processes opening the database at once apply it once.
func applyMigration(ctx context.Context, db *sql.DB, m migration, now func() time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("apply migration %04d_%s: %w", m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, now().UnixMilli()); err != nil {
		return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %04d_%s: %w", m.version, m.name, err)
	}
	return nil
}
