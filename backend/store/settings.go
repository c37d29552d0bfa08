package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/chapelapp/chapel/backend/apperr"
)

// GetSetting decodes the JSON value stored under key into dst (a pointer).
// It reports false, leaving dst alone, when the key has no value.
func (s *Store) GetSetting(ctx context.Context, key string, dst any) (bool, error) {
	if key == "" {
		return false, apperr.New(apperr.Invalid, "a setting needs a name")
	}
	var raw string
	var found bool
	err := s.readTx(ctx, "could not read setting "+key, func(tx *sql.Tx) error {
		var err error
		raw, found, err = getSetting(ctx, tx, key)
		return err
	})
	if err != nil || !found {
		return false, err
	}
	if err := json.Unmarshal([]byte(raw), dst); err != nil {
		return false, apperr.Wrap(apperr.Internal, err, "setting %s holds a value Chapel cannot read", key)
	}
	return true, nil
}

// SetSetting stores v, encoded as JSON, under key.
func (s *Store) SetSetting(ctx context.Context, key string, v any) error {
	if key == "" {
		return apperr.New(apperr.Invalid, "a setting needs a name")
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return apperr.Wrap(apperr.Invalid, err, "setting %s cannot be stored as JSON", key)
	}
	return s.inTx(ctx, "could not save setting "+key, func(tx *sql.Tx) error {
		return setSetting(ctx, tx, key, string(raw), s.nowMS())
	})
}

// DeleteSetting removes key; removing a key that has no value is not an error.
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	return s.inTx(ctx, "could not delete setting "+key, func(tx *sql.Tx) error {
		return deleteSetting(ctx, tx, key)
	})
}

func getSetting(ctx context.Context, tx *sql.Tx, key string) (raw string, found bool, err error) {
	err = tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return raw, err == nil, err
}

func setSetting(ctx context.Context, tx *sql.Tx, key, raw string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, raw, now)
	return err
}

func deleteSetting(ctx context.Context, tx *sql.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
	return err
}
