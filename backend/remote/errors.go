package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/chapelapp/chapel/backend/apperr"
)

// maxBody caps what is read of one JSON answer or error body.
const maxBody = 16 << 20

func limitBody(r io.Reader) io.Reader { return io.LimitReader(r, maxBody) }

// httpError is an answer with a status other than 2xx. It carries an
// apperr.Error with the sentence to show.
type httpError struct {
	status int
	msg    string // the server's own message, cleaned
	err    error  // the apperr to show
}

func (h *httpError) Error() string { return h.err.Error() }
func (h *httpError) Unwrap() error { return h.err }

func asHTTP(err error, target **httpError) bool { return err != nil && errors.As(err, target) }

// statusError turns an answer that is not 2xx into a sentence, with the
// server's own message where its body has one.
func (e *Engine) statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := serverMessage(b)
	name := e.cfg.Name
	var err error
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized && e.cfg.APIKey == "":
		err = apperr.New(apperr.Invalid, "%s needs an API key (it answered 401 Unauthorized); give it its key", name)
	case code == http.StatusUnauthorized:
		err = apperr.New(apperr.Invalid, "%s refused the API key (401 Unauthorized); check the key", name)
	case code == http.StatusForbidden:
		err = apperr.New(apperr.Invalid, "%s refused access (403 Forbidden)%s", name, colon(msg))
	case code == http.StatusNotFound && isModelMessage(msg):
		err = apperr.New(apperr.NotFound, "%s has no such model%s", name, colon(msg))
	case code == http.StatusNotFound:
		err = apperr.New(apperr.NotFound, "%s has no page %s (404 Not Found); is the base URL right? It usually ends in /v1", name, resp.Request.URL.Path)
	case code == http.StatusRequestEntityTooLarge:
		err = apperr.New(apperr.Invalid, "%s refused the request as too large (413)%s", name, colon(msg))
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		err = apperr.New(apperr.Unavailable, "%s is busy (%d %s)%s; try again in a moment", name, code, http.StatusText(code), colon(msg))
	case code/100 == 4:
		err = apperr.New(apperr.Invalid, "%s refused the request (%d %s)%s", name, code, http.StatusText(code), colon(msg))
	default:
		err = apperr.New(apperr.Unavailable, "%s failed (%d %s)%s", name, code, http.StatusText(code), colon(msg))
	}
	return &httpError{status: resp.StatusCode, msg: msg, err: err}
}

func colon(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

func isModelMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "model")
}

// serverMessage finds the message in an error body in the shapes servers
// send: {"error":{"message":…}} (OpenAI, llama-server, Ollama's /v1),
// {"error":"…"} (Ollama's own API), {"object":"error","message":…} (vLLM)
// and {"detail":…} (FastAPI); else the body's text when it is short.
func serverMessage(b []byte) string {
	var body struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	msg := ""
	if json.Unmarshal(b, &body) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(body.Error, &inner) == nil && inner.Message != "":
			msg = inner.Message
		case json.Unmarshal(body.Error, &s) == nil && s != "":
			msg = s
		case body.Message != "":
			msg = body.Message
		case json.Unmarshal(body.Detail, &s) == nil && s != "":
			msg = s
		}
	} else if t := strings.TrimSpace(string(b)); len(t) < 200 && !strings.HasPrefix(t, "<") {
		msg = t
	}
	return clean(msg)
}

// clean makes a server's message one short line.
func clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimRight(s, ".")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// transportError turns a failed connection into a sentence.
func (e *Engine) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	name, host := e.cfg.Name, e.base.Host
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return apperr.New(apperr.Unavailable, "Chapel could not connect to %s: nothing is listening at %s (connection refused); is the server running?", name, host)
	case errors.As(err, &dnsErr):
		return apperr.New(apperr.Unavailable, "Chapel could not connect to %s: the host name %q was not found", name, e.base.Hostname())
	case errors.As(err, &unknownCA):
		return apperr.New(apperr.Unavailable, "the TLS connection to %s failed: its certificate is signed by an authority this computer does not trust", name)
	case errors.As(err, &hostErr):
		return apperr.New(apperr.Unavailable, "the TLS connection to %s failed: its certificate is not for %s", name, e.base.Hostname())
	case errors.As(err, &invalid):
		return apperr.New(apperr.Unavailable, "the TLS connection to %s failed: its certificate is not valid (%s)", name, invalid.Detail)
	case errors.As(err, &verify):
		return apperr.New(apperr.Unavailable, "the TLS connection to %s failed: its certificate could not be verified", name)
	case errors.As(err, &header):
		return apperr.New(apperr.Unavailable, "the TLS connection to %s failed: the server does not speak TLS; try http:// instead of https://", name)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return apperr.New(apperr.Unavailable, "the TLS connection to %s failed: the server does not speak TLS; try http:// instead of https://", name)
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return apperr.New(apperr.Unavailable, "the TLS connection to %s failed (%s)", name, tlsReason(err))
	case strings.Contains(err.Error(), "malformed HTTP response"):
		return apperr.New(apperr.Unavailable, "%s does not answer plain HTTP; try https:// instead of http://", name)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Unavailable, "%s closed the connection before it answered", name)
	case errors.As(err, &netErr) && netErr.Timeout():
		return apperr.New(apperr.Unavailable, "%s did not answer in time", name)
	}
	return apperr.Wrap(apperr.Unavailable, err, "Chapel could not reach %s", name)
}

func tlsReason(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// streamError is the error of a reply whose stream ended early. What
// becomes of the text so far is the caller's to say: a chat keeps it (the
// reply shows it, marked failed), a summary hands the step to another
// engine.
func (e *Engine) streamError(cause error) error {
	return apperr.Wrap(apperr.Unavailable, cause, "the connection to %s ended in the middle of the reply", e.cfg.Name)
}

// eventError is an error the server sent inside the stream.
func (e *Engine) eventError(msg string) error {
	if msg == "" {
		msg = "no reason given"
	}
	return apperr.New(apperr.Unavailable, "%s stopped the reply with an error: %s", e.cfg.Name, clean(msg))
}
