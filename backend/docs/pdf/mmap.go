//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pdf

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps r read-only into memory when it is a regular file of at least
// size bytes, so a large PDF is read from the page cache instead of being
// copied into the heap.
func mapFile(r io.ReaderAt, size int64) ([]byte, bool) {
	f, isFile := r.(*os.File)
	if !isFile || size <= 0 || int64(int(size)) != size {
		return nil, false
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() < size {
		return nil, false
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, false
	}
	return data, true
}

// releaseMapped drops the pages of a mapping touched so far from the
// process; they are read again from the page cache when touched. Without it
// reading a page's objects all over a big file maps the whole file.
func releaseMapped(data []byte) { _ = unix.Madvise(data, unix.MADV_DONTNEED) }

func unmapFile(data []byte) { _ = unix.Munmap(data) }
