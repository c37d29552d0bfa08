// Package paths owns where Chapel keeps its data on disk: one per-user data
// folder holding the database (chapel.db), the models folder (models/; on
// Windows in %LocalAppData% instead) and the documents folder (documents/).
// CHAPEL_HOME overrides the folder; every test sets it.
package paths

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// EnvHome names the environment variable that overrides the data folder
// (the CLI's --home flag sets it too).
const EnvHome = "CHAPEL_HOME"

// Names of things inside the data folder.
const (
	AppDirName    = "Chapel"
	DatabaseName  = "chapel.db"
	ModelsName    = "models"
	DocumentsName = "documents"
)

// DataDir returns Chapel's data folder: $CHAPEL_HOME when set, otherwise
// Chapel inside the per-user application-data folder (os.UserConfigDir:
// ~/.config on Linux, ~/Library/Application Support on macOS, %AppData% on
// Windows). The returned path is absolute; the folder may not exist yet.
func DataDir() (string, error) {
	if home := os.Getenv(EnvHome); home != "" {
		abs, err := filepath.Abs(home)
		if err != nil {
			return "", fmt.Errorf("resolve %s=%q: %w", EnvHome, home, err)
		}
		return abs, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the per-user application data folder (set %s to choose one): %w", EnvHome, err)
	}
	return filepath.Join(base, AppDirName), nil
}

// DatabasePath returns the path of the SQLite database inside DataDir.
func DatabasePath() (string, error) {
	dir, err := DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, DatabaseName), nil
}

// ModelsDir returns the folder where models are kept: models inside DataDir,
// except on Windows without CHAPEL_HOME, where it is Chapel\models in
// %LocalAppData%. Models are gigabytes, and %AppData% is the roaming profile,
// which a Windows domain copies to the server at every sign-out.
func ModelsDir() (string, error) {
	if os.Getenv(EnvHome) == "" && runtime.GOOS == "windows" {
		local, err := os.UserCacheDir() // %LocalAppData% on Windows
		if err != nil {
			return "", fmt.Errorf("find the per-user local application data folder (set %s to choose one): %w", EnvHome, err)
		}
		return localModelsDir(local), nil
	}
	dir, err := DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, ModelsName), nil
}

// localModelsDir is the models folder inside the local (non-roaming)
// application data folder.
func localModelsDir(localAppData string) string {
	return filepath.Join(localAppData, AppDirName, ModelsName)
}

// DocumentsDir returns the folder inside DataDir where the bytes of added
// documents are kept, each under its BLAKE3 hash.
func DocumentsDir() (string, error) {
	dir, err := DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, DocumentsName), nil
}

// CacheDir returns the folder for things Chapel can make again (synthetic
// benchmark models): DataDir/cache when CHAPEL_HOME is set, otherwise
// Chapel inside the per-user cache folder.
func CacheDir() (string, error) {
	if os.Getenv(EnvHome) != "" {
		dir, err := DataDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, "cache"), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the per-user cache folder (set %s to choose one): %w", EnvHome, err)
	}
	return filepath.Join(base, AppDirName), nil
}
