package ingest

import (
	"os"
	"path/filepath"
)

// OpenStored opens the copy of a document's file kept in the documents
// folder under its BLAKE3 hash (64 hex digits), for reading. The copy is
// made when the file is added, so it is there however the original was
// moved or deleted since; it goes when the document is deleted.
func (s *Service) OpenStored(hash string) (*os.File, os.FileInfo, error) {
	if !isHash(hash) {
		return nil, nil, os.ErrNotExist
	}
	return OpenRegular(filepath.Join(s.dir, hash[:2], hash))
}

// isHash reports whether h is 64 lowercase hex digits (a stored file's name).
func isHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
