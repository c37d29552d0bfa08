package app

import (
	"os"

	"github.com/mattn/go-isatty"
)

// isTerminal reports whether f is a terminal (a console on Windows): not a
// pipe, a file, or /dev/null and NUL, which are character devices too.
func isTerminal(f *os.File) bool { return isatty.IsTerminal(f.Fd()) }
