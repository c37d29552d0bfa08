package ingest

import (
	"os"
)

// OpenRegular opens the file at path for reading only when it is an
// ordinary file: a folder, a named pipe (FIFO), a socket or a device is
// refused with a sentence saying so, without reading it. The file is
// opened without blocking (O_NONBLOCK) and checked on the open handle
// (fstat), so a FIFO cannot hold Chapel waiting for a writer, and a path
// swapped for something else after a check is still caught.
func OpenRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlocking, 0)
	if err != nil {
		return nil, nil, openError(err)
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, nil, openError(err)
	case fi.IsDir():
		f.Close()
		return nil, nil, &fileError{msg: "this is a folder, not a file"}
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, nil, &fileError{msg: "this is not an ordinary file (" + kindOf(fi.Mode()) + "), so Chapel can't read it"}
	}
	return f, fi, nil
}

// kindOf names what a path that is not an ordinary file is.
func kindOf(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "it is a named pipe"
	case m&os.ModeSocket != 0:
		return "it is a socket"
	case m&os.ModeDevice != 0:
		return "it is a device"
	case m&os.ModeSymlink != 0:
		return "it is a link"
	}
	return "it is a special file"
}

// Message is the sentence for an error OpenRegular returned.
func Message(err error) string { return message(err) }
