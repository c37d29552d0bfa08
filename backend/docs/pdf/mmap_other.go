//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package pdf

import "io"

// mapFile is unavailable here: PDFs are read into memory.
func mapFile(io.ReaderAt, int64) ([]byte, bool) { return nil, false }

func releaseMapped([]byte) {}

func unmapFile([]byte) {}
