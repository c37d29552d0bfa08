package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/documents"
)

// GetPassageSource returns what the passage panel shows around chunks
// first..last of a document: a PDF's stored file (read through
// documentFiles) with the passage's text on each page, or the extracted
// text around the passage.
func (a *App) GetPassageSource(documentID int64, first, last int) (documents.Source, error) {
	return a.svc.sources().Source(a.ctx(), documentID, first, last)
}

// sources reads the passages' sources from the store and the ingest's
// stored files.
func (s *services) sources() *documents.Sources { return documents.NewSources(s.store, s.ingest) }

// documentFiles answers the window's requests for parts of a PDF's stored
// file: GET documents.FileURLPrefix + id + "?start=S&end=E" gives bytes
// [S, E) (at most documents.MaxRangeBytes), and says the file's whole size
// in X-Chapel-Size. It is the window's asset server's handler for what the
// frontend's files do not have, so the real window and the browser served
// by the dev binary read the same way; a range asked for in the query, not
// in a Range header, works in every webview. Errors are {code, message}.
type documentFiles struct {
	a   *App
	log *slog.Logger
}

func (h documentFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, documents.FileURLPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		h.fail(w, http.StatusMethodNotAllowed, apperr.New(apperr.Invalid, "only GET reads a document's file"))
		return
	}
	id, err1 := strconv.ParseInt(rest, 10, 64)
	start, err2 := strconv.ParseInt(r.URL.Query().Get("start"), 10, 64)
	end, err3 := strconv.ParseInt(r.URL.Query().Get("end"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		h.fail(w, http.StatusBadRequest, apperr.New(apperr.Invalid, "a document's file is read as %s<id>?start=S&end=E", documents.FileURLPrefix))
		return
	}
	svc := h.a.svc
	if svc == nil { // the window started on the "database damaged" screen
		h.fail(w, http.StatusServiceUnavailable, apperr.New(apperr.Unavailable, "the documents are not open"))
		return
	}
	part, err := svc.sources().Open(r.Context(), id, start, end)
	if err != nil {
		h.fail(w, statusOf(err), err)
		return
	}
	defer part.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(part.End-part.Start, 10))
	w.Header().Set("X-Chapel-Size", strconv.FormatInt(part.Size, 10))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, err := io.Copy(w, part); err != nil {
		h.log.Warn("sending part of a document's file", "document", id, "err", err)
	}
}

// fail answers err as the {code, message} a bound method's error is.
func (h documentFiles) fail(w http.ResponseWriter, status int, err error) {
	body, _ := json.Marshal(toError(h.log, err))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// statusOf is the HTTP status of an error's code.
func statusOf(err error) int {
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.Canceled:
		return http.StatusRequestTimeout
	}
	return http.StatusInternalServerError
}
