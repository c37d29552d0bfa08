//go:build unix

package ingest

import "syscall"

// openNonBlocking makes opening a FIFO return at once instead of waiting
// for a writer; it changes nothing for an ordinary file.
const openNonBlocking = syscall.O_NONBLOCK
