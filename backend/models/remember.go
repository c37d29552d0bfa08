package models

import (
	"context"
	"path/filepath"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// SettingKey is the settings key holding the path of the model chosen last.
const SettingKey = "model.path"

// Remember records path as the model to load at the next start.
func Remember(ctx context.Context, st *store.Store, path string) error {
	if path == "" {
		return apperr.New(apperr.Invalid, "no model path to remember")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return apperr.Wrap(apperr.Invalid, err, "could not resolve the model path %q", path)
	}
	return st.SetSetting(ctx, SettingKey, abs)
}

// Remembered returns the model path recorded by Remember; ok is false when
// none is. The file may since have been moved or deleted: check it (Inspect)
// before loading.
func Remembered(ctx context.Context, st *store.Store) (path string, ok bool, err error) {
	ok, err = st.GetSetting(ctx, SettingKey, &path)
	if err != nil || !ok || path == "" {
		return "", false, err
	}
	return path, true, nil
}

// Forget clears the remembered model.
func Forget(ctx context.Context, st *store.Store) error {
	return st.DeleteSetting(ctx, SettingKey)
}
