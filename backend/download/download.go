// Package download owns fetching model files: the one code path in Chapel
// that opens a network connection, and only when the user asked for a
// download, only to the host of the address asked for (plus the redirect
// that host answers with, as Hugging Face sends files from its CDN).
//
// A download is written to <dir>/<file>.part beside a small state file
// (<file>.part.json: address, expected SHA-256 and size, the server's
// ETag), resumes with an HTTP Range request after a pause, a network error,
// or the app being closed or killed, hashes the bytes as they are written
// (a resumed part is re-hashed first) and is renamed to <file> only after
// its SHA-256 and size match. A mismatch deletes the part and says so.
package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/paths"
)

// Request names a file to download.
type Request struct {
	URL    string `json:"url"`
	Dir    string `json:"dir"`    // the folder the file goes in
	File   string `json:"file"`   // the file's name in Dir
	SHA256 string `json:"sha256"` // expected digest; "": the server's X-Linked-Etag, if it sends one
	Size   int64  `json:"size"`   // expected size; 0: the server's
}

// States of a download.
const (
	StateQueued      = "queued"
	StateChecking    = "checking" // asking the server what the file is; re-hashing a part
	StateDownloading = "downloading"
	StateRetrying    = "retrying" // a network error; trying again after a pause
	StateVerifying   = "verifying"
	StatePaused      = "paused"
	StateDone        = "done"
	StateFailed      = "failed"
	StateCanceled    = "canceled"
)

// Progress is what a download reports as it goes.
type Progress struct {
	ID          string  `json:"id"`
	File        string  `json:"file"`
	URL         string  `json:"url"`
	State       string  `json:"state"`
	Done        int64   `json:"done"`          // bytes in the part file
	Total       int64   `json:"total"`         // 0 while unknown
	BytesPerSec float64 `json:"bytes_per_sec"` // over the last seconds
	SecondsLeft float64 `json:"seconds_left"`  // -1 while unknown
	Path        string  `json:"path"`          // the finished file, when done
	Error       string  `json:"error"`         // one sentence, when failed
	Verified    bool    `json:"verified"`      // the SHA-256 was checked against a known value
}

// Options tune the network behaviour; zero values take the defaults.
type Options struct {
	ConnectTimeout time.Duration // dialling and TLS (default 10 s)
	HeaderTimeout  time.Duration // waiting for response headers (default 20 s)
	StallTimeout   time.Duration // no byte received for this long: the connection is dead (default 30 s)
	Retries        int           // attempts in a row without progress before giving up (default 5)
	Backoff        time.Duration // first pause before a retry, doubled each time (default 1 s, at most 30 s)
	ProgressEvery  time.Duration // progress callbacks at most this often (default 250 ms)
	// DiskFree measures the free space of a folder (default: the file system's; tests inject).
	DiskFree func(dir string) (int64, error)
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ConnectTimeout, 10*time.Second)
	def(&o.HeaderTimeout, 20*time.Second)
	def(&o.StallTimeout, 30*time.Second)
	def(&o.Backoff, time.Second)
	def(&o.ProgressEvery, 250*time.Millisecond)
	if o.Retries <= 0 {
		o.Retries = 5
	}
	if o.DiskFree == nil {
		o.DiskFree = paths.DiskFree
	}
	return o
}

// diskMargin is kept free beyond the file itself.
const diskMargin = 64 << 20

var (
	// ErrPaused ends a download that was paused; its part is kept.
	ErrPaused = errors.New("download paused")
	// ErrCanceled ends a download that was canceled; its part is deleted.
	ErrCanceled = errors.New("download canceled")
	errStalled  = errors.New("the server stopped sending data")
	hexDigest   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// state is the sidecar beside a part file.
type state struct {
	URL    string `json:"url"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"` // expected (the request's or the server's)
	Size   int64  `json:"size"`   // expected total, 0 unknown
	ETag   string `json:"etag"`   // the validator the part's bytes came with
}

// PartPath is where an unfinished download of file in dir is kept.
func PartPath(dir, file string) string { return filepath.Join(dir, file+".part") }

func statePath(dir, file string) string { return PartPath(dir, file) + ".json" }

func readState(dir, file string) (state, bool) {
	b, err := os.ReadFile(statePath(dir, file))
	if err != nil {
		return state{}, false
	}
	var s state
	if json.Unmarshal(b, &s) != nil {
		return state{}, false
	}
	return s, true
}

func writeState(dir string, s state) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := statePath(dir, s.File) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(dir, s.File))
}

// removePart deletes a part and its sidecar.
func removePart(dir, file string) {
	os.Remove(PartPath(dir, file))
	os.Remove(statePath(dir, file))
}

// Pending lists the unfinished downloads left in dir (by an earlier run, or
// paused), as paused Progress values.
func Pending(dir string) []Progress {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []Progress
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".part.json")
		if !ok {
			continue
		}
		s, ok := readState(dir, name)
		if !ok || s.File != name {
			continue
		}
		var done int64
		if fi, err := os.Stat(PartPath(dir, name)); err == nil {
			done = fi.Size()
		}
		out = append(out, Progress{ID: name, File: name, URL: s.URL, State: StatePaused, Done: done, Total: s.Size, SecondsLeft: -1})
	}
	return out
}

// Resumable returns the request that resumes the unfinished download of
// file in dir.
func Resumable(dir, file string) (Request, bool) {
	s, ok := readState(dir, file)
	if !ok {
		return Request{}, false
	}
	return Request{URL: s.URL, Dir: dir, File: file, SHA256: s.SHA256, Size: s.Size}, true
}

// checkRequest refuses names that would leave dir and malformed hashes.
func checkRequest(r *Request) error {
	r.SHA256 = strings.ToLower(strings.TrimSpace(r.SHA256))
	if r.SHA256 != "" && !hexDigest.MatchString(r.SHA256) {
		return apperr.New(apperr.Invalid, "%q is not a SHA-256 (64 hexadecimal digits)", r.SHA256)
	}
	if r.File == "" || r.File != filepath.Base(r.File) || strings.ContainsAny(r.File, `/\`) || strings.HasPrefix(r.File, ".") {
		return apperr.New(apperr.Invalid, "%q is not a file name Chapel can save a model under", r.File)
	}
	if !strings.HasPrefix(r.URL, "https://") && !strings.HasPrefix(r.URL, "http://") {
		return apperr.New(apperr.Invalid, "%q is not a web address (http or https)", r.URL)
	}
	return nil
}

// FileFromURL is the file name an address downloads to: its last path
// element, without a query.
func FileFromURL(u string) string {
	u, _, _ = strings.Cut(u, "?")
	u, _, _ = strings.Cut(u, "#")
	return filepath.Base(strings.TrimRight(u, "/"))
}

// hashFile feeds the first n bytes of the part into h.
func hashFile(ctx context.Context, f *os.File, n int64, h hash.Hash) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := f.Read(buf[:min(int64(len(buf)), n)])
		h.Write(buf[:k])
		n -= int64(k)
		if err != nil {
			if err == io.EOF && n == 0 {
				break
			}
			return err
		}
	}
	_, err := f.Seek(0, io.SeekEnd)
	return err
}

func newHash() hash.Hash { return sha256.New() }

func digest(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

func mb(n int64) string {
	if n >= 1e9 {
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	}
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}

// normEtag strips W/ and quotes from an ETag.
func normEtag(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	return strings.Trim(s, `"`)
}

// httpError is a non-2xx answer.
type httpError struct {
	code int
	host string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.host, e.code, http.StatusText(e.code))
}
