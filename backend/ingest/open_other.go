//go:build !unix

package ingest

// openNonBlocking: opening a named pipe does not wait here.
const openNonBlocking = 0
