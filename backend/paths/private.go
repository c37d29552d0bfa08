package paths

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// LogsName is the folder inside the data folder that holds the log.
const LogsName = "logs"

// PrivateDir creates dir (and its parents) readable by the user alone, and
// takes group and other rights away from it when it exists already: what
// Chapel keeps there (conversations, documents, the log) is nobody else's
// to read, whatever the umask or the mode of a folder an earlier version
// (or the user) made.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return tighten(dir, 0o700)
}

// PrivateDirs makes the folders Chapel keeps inside the data folder home —
// documents/, models/ and logs/ — private (PrivateDir). The data folder
// itself is created private but, when it exists, left as it is: it may be
// a folder the user chose (CHAPEL_HOME) for other things too.
func PrivateDirs(home string) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("create the data folder %s: %w", home, err)
	}
	for _, name := range []string{DocumentsName, ModelsName, LogsName} {
		if err := PrivateDir(filepath.Join(home, name)); err != nil {
			return fmt.Errorf("create %s in the data folder: %w", name, err)
		}
	}
	return nil
}

// PrivateFile opens (creating it when missing) a file for appending,
// readable and writable by the user alone, and takes group and other rights
// away from a file that exists.
func PrivateFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	if err := tighten(path, 0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// tighten removes group and other rights from path when it has any (not on
// Windows, whose folders are private through their ACLs).
func tighten(path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(path, fi.Mode().Perm()&mode)
	}
	return nil
}
