// Package dltest is a model server for tests: it answers the way Hugging
// Face does (a HEAD or GET of /<repo>/resolve/<rev>/<file> redirects to a
// CDN path and carries X-Linked-Etag and X-Linked-Size; the CDN path serves
// the bytes with Range support), and it can misbehave on purpose: drop the
// connection half-way, send wrong bytes, stall, or trickle.
package dltest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults the server can be told to show.
type Faults struct {
	DropAfter   int64         // the first N GETs of the bytes end the connection after this many bytes (0: never)
	Drops       int           // how many GETs drop (with DropAfter)
	Wrong       bool          // serve bytes that differ from the stated hash
	StallAfter  int64         // the first GET stops sending after this many bytes and hangs (0: never)
	Throttle    time.Duration // pause after each 64 KiB chunk
	NoHEAD      bool          // answer HEAD with 405
	NoRange     bool          // ignore Range (always 200 with the whole file)
	NoHashHeads bool          // state neither X-Linked-Etag nor X-Linked-Size
}

// Server serves one file.
type Server struct {
	Repo, Rev, File string
	Data            []byte
	SHA256          string

	mu     sync.Mutex
	faults Faults
	gets   atomic.Int64 // GETs of the bytes
	ranges []string     // Range headers received, in order
	stop   chan struct{}
	once   sync.Once
}

// New returns a server for data, published as repo/rev/file.
func New(repo, rev, file string, data []byte, f Faults) *Server {
	sum := sha256.Sum256(data)
	return &Server{Repo: repo, Rev: rev, File: file, Data: data, SHA256: hex.EncodeToString(sum[:]), faults: f, stop: make(chan struct{})}
}

// Path is the hub path of the file: /<repo>/resolve/<rev>/<file>.
func (s *Server) Path() string { return "/" + s.Repo + "/resolve/" + s.Rev + "/" + s.File }

// SetFaults changes the faults for the next requests.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Gets is how many GETs of the bytes arrived.
func (s *Server) Gets() int64 { return s.gets.Load() }

// Ranges lists the Range headers of the GETs, "" for none.
func (s *Server) Ranges() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// Close releases stalled handlers.
func (s *Server) Close() { s.once.Do(func() { close(s.stop) }) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	switch {
	case r.URL.Path == s.Path():
		if r.Method == http.MethodHead && f.NoHEAD {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if !f.NoHashHeads {
			w.Header().Set("X-Linked-Etag", `"`+s.SHA256+`"`)
			w.Header().Set("X-Linked-Size", strconv.Itoa(len(s.Data)))
		}
		w.Header().Set("X-Repo-Commit", s.Rev)
		w.Header().Set("Location", "/cdn/"+s.SHA256)
		w.WriteHeader(http.StatusFound)
	case r.URL.Path == "/cdn/"+s.SHA256:
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Length", strconv.Itoa(len(s.Data)))
			return
		}
		s.serveBytes(w, r, f)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) serveBytes(w http.ResponseWriter, r *http.Request, f Faults) {
	n := s.gets.Add(1)
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	data := s.Data
	if f.Wrong {
		data = bytes.Clone(data)
		for i := len(data) / 2; i < len(data) && i < len(data)/2+64; i++ {
			data[i] ^= 0xff
		}
	}
	start := int64(0)
	if rg := r.Header.Get("Range"); rg != "" && !f.NoRange {
		a, _, _ := strings.Cut(strings.TrimPrefix(rg, "bytes="), "-")
		v, err := strconv.ParseInt(a, 10, 64)
		if err != nil || v < 0 || v > int64(len(data)) {
			w.Header().Set("Content-Range", "bytes */"+strconv.Itoa(len(data)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start = v
	}
	if start >= int64(len(data)) && start > 0 {
		w.Header().Set("Content-Range", "bytes */"+strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return
	}
	body := data[start:]
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Accept-Ranges", "bytes")
	if start > 0 {
		w.Header().Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+strconv.Itoa(len(data)-1)+"/"+strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	limit := int64(len(body))
	drop := f.DropAfter > 0 && n <= int64(f.Drops)
	if drop {
		limit = min(limit, max(f.DropAfter-start, 1))
	}
	stall := f.StallAfter > 0 && n == 1
	if stall {
		limit = min(limit, f.StallAfter)
	}
	const chunk = 64 << 10
	for off := int64(0); off < limit; off += chunk {
		end := min(off+chunk, limit)
		if _, err := w.Write(body[off:end]); err != nil {
			return
		}
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		if f.Throttle > 0 {
			select {
			case <-time.After(f.Throttle):
			case <-r.Context().Done():
				return
			}
		}
	}
	switch {
	case stall:
		select { // hang with the connection open
		case <-s.stop:
		case <-r.Context().Done():
		}
	case drop:
		panic(http.ErrAbortHandler) // the server closes the connection mid-body
	}
}
