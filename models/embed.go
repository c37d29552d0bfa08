// Package catalog carries the curated model catalogue (catalog.json in this
// folder) into the binary. The folder is also where Chapel looks for .gguf
// files in development; those are git-ignored. Parsing and checking the
// catalogue is backend/models' job.
package catalog

import _ "embed"

// JSON is the catalogue as committed: catalog.json.
//
//go:embed catalog.json
var JSON []byte
