package download

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
)

// fetcher runs one download.
type fetcher struct {
	opts   Options
	req    Request
	client *http.Client // follows redirects (to the CDN) for the bytes
	probe  *http.Client // never follows a redirect: the hub's own headers count
	report func(Progress)

	st     state
	target string // where the bytes come from (the redirect's Location, or URL)
	have   int64
	h      hash.Hash
	meter  meter
	last   time.Time
}

func newClients(o Options) (*http.Client, *http.Client) {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		ResponseHeaderTimeout: o.HeaderTimeout,
		IdleConnTimeout:       60 * time.Second,
		DisableCompression:    true, // sizes and ranges are of the file's own bytes
	}
	follow := &http.Client{Transport: tr, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	probe := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return follow, probe
}

// Run downloads req into req.Dir, reporting progress through report (which
// may be nil), and returns the finished file's path. A cancelled ctx whose
// cause is ErrPaused keeps the part; ErrCanceled deletes it.
func Run(ctx context.Context, req Request, opts Options, report func(Progress)) (string, error) {
	if err := checkRequest(&req); err != nil {
		return "", err
	}
	if report == nil {
		report = func(Progress) {}
	}
	opts = opts.withDefaults()
	f := &fetcher{opts: opts, req: req, report: report}
	f.client, f.probe = newClients(opts)
	path, err := f.run(ctx)
	switch {
	case err == nil:
		return path, nil
	case errors.Is(context.Cause(ctx), ErrCanceled):
		removePart(req.Dir, req.File)
		f.send(StateCanceled, "")
		return "", ErrCanceled
	case errors.Is(context.Cause(ctx), ErrPaused):
		f.send(StatePaused, "")
		return "", ErrPaused
	}
	f.send(StateFailed, apperr.Message(err))
	return "", err
}

func (f *fetcher) send(state, msg string) {
	p := Progress{ID: f.req.File, File: f.req.File, URL: f.req.URL, State: state, Done: f.have, Total: f.st.Size,
		SecondsLeft: -1, Error: msg, Verified: f.st.SHA256 != ""}
	if state == StateDownloading {
		p.BytesPerSec = f.meter.rate()
		if p.BytesPerSec > 0 && p.Total > 0 {
			p.SecondsLeft = float64(p.Total-p.Done) / p.BytesPerSec
		}
	}
	if state == StateDone {
		p.Path = filepath.Join(f.req.Dir, f.req.File)
		p.SecondsLeft = 0
	}
	f.report(p)
}

func (f *fetcher) run(ctx context.Context) (string, error) {
	dir, file := f.req.Dir, f.req.File
	final := filepath.Join(dir, file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "could not create the models folder %s", dir)
	}
	f.send(StateChecking, "")
	if err := f.resolve(ctx); err != nil {
		return "", err
	}
	// A part from an earlier run counts only if it was for the same file.
	old, ok := readState(dir, file)
	if !ok || old.URL != f.req.URL || old.SHA256 != f.st.SHA256 || old.Size != f.st.Size ||
		(old.ETag != "" && f.st.ETag != "" && old.ETag != f.st.ETag) {
		os.Remove(PartPath(dir, file))
	}
	if err := writeState(dir, f.st); err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "could not write the download's state in %s", dir)
	}
	part, err := os.OpenFile(PartPath(dir, file), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "could not write to %s", dir)
	}
	defer part.Close()
	fi, err := part.Stat()
	if err != nil {
		return "", err
	}
	f.have = fi.Size()
	if f.st.Size > 0 && f.have > f.st.Size {
		f.have = 0
		if err := part.Truncate(0); err != nil {
			return "", err
		}
	}
	if err := f.checkDisk(); err != nil {
		return "", err
	}
	f.h = newHash()
	if f.have > 0 {
		f.send(StateChecking, "")
		if err := hashFile(ctx, part, f.have, f.h); err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", apperr.Wrap(apperr.Internal, err, "could not read the unfinished download %s", PartPath(dir, file))
		}
	}
	if err := f.fetchAll(ctx, part); err != nil {
		return "", err
	}
	f.send(StateVerifying, "")
	if err := part.Sync(); err != nil {
		return "", diskError(err, dir)
	}
	if f.st.Size > 0 && f.have != f.st.Size {
		removePart(dir, file)
		return "", apperr.New(apperr.Invalid, "the download of %s ended at %s of %s; the partial file was deleted, try again", file, mb(f.have), mb(f.st.Size))
	}
	if got := digest(f.h); f.st.SHA256 != "" && got != f.st.SHA256 {
		removePart(dir, file)
		return "", apperr.New(apperr.Invalid, "the downloaded %s is damaged: its SHA-256 is %s, not the expected %s; the file was deleted", file, got, f.st.SHA256)
	}
	part.Close()
	if err := os.Rename(PartPath(dir, file), final); err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "could not move the finished download into place")
	}
	os.Remove(statePath(dir, file))
	f.send(StateDone, "")
	return final, nil
}

// resolve asks the server (HEAD, no redirect followed) for the file's
// hash, size and where its bytes are, and checks them against the request.
func (f *fetcher) resolve(ctx context.Context) error {
	f.st = state{URL: f.req.URL, File: f.req.File, SHA256: f.req.SHA256, Size: f.req.Size}
	f.target = f.req.URL
	var resp *http.Response
	// The first contact is retried less: no answer at all usually means no
	// network, and the user should hear so within seconds.
	err := f.retryN(ctx, min(f.opts.Retries, 3), func() error {
		r, err := http.NewRequestWithContext(ctx, http.MethodHead, f.req.URL, nil)
		if err != nil {
			return apperr.Wrap(apperr.Invalid, err, "%q is not a usable address", f.req.URL)
		}
		r.Header.Set("Accept-Encoding", "identity")
		resp, err = f.probe.Do(r)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return &httpError{resp.StatusCode, hostOf(f.req.URL)}
		}
		return nil
	})
	if err != nil {
		return f.netError(err)
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented:
		return nil // no HEAD: the GET's own headers will do
	case code >= 300 && code < 400:
		loc, err := resp.Location()
		if err != nil {
			return apperr.New(apperr.Unavailable, "%s redirected the download without saying where", hostOf(f.req.URL))
		}
		f.target = loc.String()
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return apperr.New(apperr.Unavailable, "%s refused the download (%d): the model may need a licence accepted on its page, or a login", hostOf(f.req.URL), code)
	case code == http.StatusNotFound:
		return apperr.New(apperr.NotFound, "%s has no file at %s", hostOf(f.req.URL), f.req.URL)
	case code >= 400:
		return f.netError(&httpError{code, hostOf(f.req.URL)})
	}
	sha := strings.ToLower(normEtag(resp.Header.Get("X-Linked-Etag")))
	size, _ := strconv.ParseInt(resp.Header.Get("X-Linked-Size"), 10, 64)
	if code == http.StatusOK {
		if sha == "" {
			if e := strings.ToLower(normEtag(resp.Header.Get("ETag"))); hexDigest.MatchString(e) {
				sha = e
			}
		}
		if size == 0 && resp.ContentLength > 0 && resp.Header.Get("Content-Encoding") == "" {
			size = resp.ContentLength
		}
	}
	if !hexDigest.MatchString(sha) {
		sha = ""
	}
	if sha != "" && f.st.SHA256 != "" && sha != f.st.SHA256 {
		return apperr.New(apperr.Invalid, "the server's %s is not the file Chapel expects: its SHA-256 is %s, not %s; nothing was downloaded", f.req.File, sha, f.st.SHA256)
	}
	if size > 0 && f.st.Size > 0 && size != f.st.Size {
		return apperr.New(apperr.Invalid, "the server's %s is %d bytes, not the expected %d; nothing was downloaded", f.req.File, size, f.st.Size)
	}
	if f.st.SHA256 == "" {
		f.st.SHA256 = sha
	}
	if f.st.Size == 0 {
		f.st.Size = size
	}
	f.st.ETag = sha
	return nil
}

func (f *fetcher) checkDisk() error {
	if f.st.Size <= 0 {
		return nil
	}
	free, err := f.opts.DiskFree(f.req.Dir)
	if err != nil || free < 0 {
		return nil // cannot tell: the writes will say
	}
	need := f.st.Size - f.have
	if need+diskMargin > free {
		return apperr.New(apperr.Unavailable, "not enough free disk space for %s: it needs %s more and %s has %s free", f.req.File, mb(need+diskMargin), f.req.Dir, mb(free))
	}
	return nil
}

// fetchAll GETs the rest of the file into part, resuming after network
// errors with a growing pause, until done or Retries attempts in a row
// brought no byte.
func (f *fetcher) fetchAll(ctx context.Context, part *os.File) error {
	return f.retry(ctx, func() error {
		if f.st.Size > 0 && f.have == f.st.Size {
			return nil
		}
		before := f.have
		err := f.fetchOnce(ctx, part)
		if err != nil && f.have > before {
			return progressed{err}
		}
		return err
	})
}

// progressed marks an error after which some bytes did arrive: the retry
// count starts again.
type progressed struct{ error }

func (p progressed) Unwrap() error { return p.error }

// retry runs fn until it succeeds, fails for good, or fails Retries times
// in a row without progress, pausing Backoff, 2×Backoff… (at most 30 s)
// between attempts.
func (f *fetcher) retry(ctx context.Context, fn func() error) error {
	return f.retryN(ctx, f.opts.Retries, fn)
}

func (f *fetcher) retryN(ctx context.Context, retries int, fn func() error) error {
	fails := 0
	for {
		err := fn()
		if err == nil || !retryable(ctx, err) {
			return err
		}
		var p progressed
		if errors.As(err, &p) {
			fails = 0
		}
		fails++
		if fails >= retries {
			return err
		}
		wait := min(f.opts.Backoff<<(fails-1), 30*time.Second)
		f.send(StateRetrying, apperr.Message(f.netError(err)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// retryable says whether err is worth another attempt: network errors,
// timeouts, cut connections and the server's 5xx or 429.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return false
	}
	var he *httpError
	if errors.As(err, &he) {
		return he.code >= 500 || he.code == http.StatusTooManyRequests
	}
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return false
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return false // the disk, not the network
	}
	return true
}

func (f *fetcher) fetchOnce(ctx context.Context, part *os.File) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, f.target, nil)
	if err != nil {
		return apperr.Wrap(apperr.Invalid, err, "%q is not a usable address", f.target)
	}
	r.Header.Set("Accept-Encoding", "identity")
	if f.have > 0 {
		r.Header.Set("Range", fmt.Sprintf("bytes=%d-", f.have))
	}
	resp, err := f.client.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent:
		start, total, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || start != f.have {
			return restart(f, part)
		}
		if f.st.Size == 0 && total > 0 {
			f.st.Size = total
		}
	case resp.StatusCode == http.StatusOK:
		if f.have > 0 { // the server ignored the range: start again
			if err := restart(f, part); err != nil {
				return err
			}
		}
		if f.st.Size == 0 && resp.ContentLength > 0 {
			f.st.Size = resp.ContentLength
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && f.st.Size > 0 && f.have == f.st.Size:
		return nil
	case resp.StatusCode == http.StatusNotFound:
		return apperr.New(apperr.NotFound, "%s has no file at %s", hostOf(f.target), f.target)
	default:
		return &httpError{resp.StatusCode, hostOf(f.target)}
	}
	if f.st.Size > 0 {
		if err := f.checkDisk(); err != nil {
			return err
		}
	}
	f.send(StateDownloading, "")
	return f.copy(ctx, cancel, resp.Body, part)
}

// restart empties the part after the server ignored the range.
func restart(f *fetcher, part *os.File) error {
	if err := part.Truncate(0); err != nil {
		return err
	}
	if _, err := part.Seek(0, io.SeekStart); err != nil {
		return err
	}
	f.have = 0
	f.h.Reset()
	return nil
}

// copy streams body into part and the hash. A watchdog cancels the request
// when no byte has arrived for StallTimeout.
func (f *fetcher) copy(ctx context.Context, cancel context.CancelCauseFunc, body io.Reader, part *os.File) error {
	tick := make(chan struct{}, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTimer(f.opts.StallTimeout)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick:
				t.Reset(f.opts.StallTimeout)
			case <-t.C:
				cancel(errStalled)
				return
			}
		}
	}()
	buf := make([]byte, 256<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			select {
			case tick <- struct{}{}:
			default:
			}
			if _, err := part.Write(buf[:n]); err != nil {
				return diskError(err, f.req.Dir)
			}
			f.h.Write(buf[:n])
			f.have += int64(n)
			f.meter.add(int64(n))
			if time.Since(f.last) >= f.opts.ProgressEvery {
				f.last = time.Now()
				f.send(StateDownloading, "")
			}
		}
		if rerr == io.EOF {
			if f.st.Size > 0 && f.have < f.st.Size {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if rerr != nil {
			if c := context.Cause(ctx); errors.Is(c, errStalled) {
				return errStalled
			}
			return rerr
		}
	}
}

// diskError names a full disk plainly.
func diskError(err error, dir string) error {
	if errors.Is(err, syscall.ENOSPC) {
		return apperr.Wrap(apperr.Unavailable, err, "the disk is full: free some space in %s, then resume the download", dir)
	}
	return apperr.Wrap(apperr.Internal, err, "could not write the download in %s", dir)
}

// netError turns a transport failure into one sentence.
func (f *fetcher) netError(err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	host := hostOf(f.req.URL)
	var de *net.DNSError
	var ne net.Error
	var he *httpError
	switch {
	case errors.Is(err, errStalled):
		return apperr.Wrap(apperr.Unavailable, err, "the download from %s stalled: no data for %s; it will resume where it stopped", host, f.opts.StallTimeout)
	case errors.As(err, &de):
		return apperr.Wrap(apperr.Unavailable, err, "Chapel could not reach %s: no network connection, or the name cannot be found", host)
	case errors.As(err, &he):
		return apperr.Wrap(apperr.Unavailable, err, "the download failed: %s", he.Error())
	case errors.Is(err, syscall.ECONNREFUSED):
		return apperr.Wrap(apperr.Unavailable, err, "Chapel could not reach %s: the connection was refused", host)
	case errors.As(err, &ne) && ne.Timeout():
		return apperr.Wrap(apperr.Unavailable, err, "Chapel could not reach %s: the connection timed out (no network?)", host)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return apperr.Wrap(apperr.Unavailable, err, "the connection to %s broke off", host)
	}
	return apperr.Wrap(apperr.Unavailable, err, "the download from %s failed", host)
}

func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}

// contentRange parses "bytes START-END/TOTAL" (TOTAL may be *).
func contentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if tot != "*" {
		total, _ = strconv.ParseInt(tot, 10, 64)
	}
	return start, total, true
}

// meter measures the speed over the last few seconds.
type meter struct {
	samples [8]struct {
		at time.Time
		n  int64
	}
	i, count int
	total    int64
}

func (m *meter) add(n int64) {
	m.total += n
	now := time.Now()
	last := m.samples[(m.i+len(m.samples)-1)%len(m.samples)]
	if m.count > 0 && now.Sub(last.at) < 250*time.Millisecond {
		m.samples[(m.i+len(m.samples)-1)%len(m.samples)].n = m.total
		return
	}
	m.samples[m.i] = struct {
		at time.Time
		n  int64
	}{now, m.total}
	m.i = (m.i + 1) % len(m.samples)
	m.count = min(m.count+1, len(m.samples))
}

func (m *meter) rate() float64 {
	if m.count < 2 {
		return 0
	}
	newest := m.samples[(m.i+len(m.samples)-1)%len(m.samples)]
	oldest := m.samples[(m.i+len(m.samples)-m.count)%len(m.samples)]
	dt := newest.at.Sub(oldest.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(newest.n-oldest.n) / dt
}
