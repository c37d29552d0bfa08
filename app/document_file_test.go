package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
	"github.com/chapelapp/chapel/backend/documents"
	"github.com/chapelapp/chapel/backend/store"
)

// onePagePDF is a PDF of one page with text in the standard Helvetica font.
func onePagePDF(text string) []byte {
	return pdfgen.Simple(pdfgen.Page{Lines: []string{text}}).Bytes(1)
}

// TestDocumentFiles drives the window's reads of a PDF's stored file
// through the asset server's handler, and GetPassageSource beside it.
func TestDocumentFiles(t *testing.T) {
	a, ctx := newTestApp(t)
	dir := t.TempDir()
	pdf := onePagePDF("The wheat harvest was large this year.")
	add := func(name string, data []byte) store.Document {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := a.svc.ingest.Ingest(ctx, []string{path}, nil)
		if err != nil || len(out.Documents) != 1 {
			t.Fatalf("ingest %s: %+v, %v", name, out, err)
		}
		// Where it was dropped from no longer matters: Chapel keeps its copy.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return out.Documents[0]
	}
	doc := add("farm.pdf", pdf)
	notes := add("notes.md", []byte("# Notes\n\nRain fell early in May.\n"))

	src, err := a.GetPassageSource(doc.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if src.File == nil || !src.File.Available || src.File.Size != int64(len(pdf)) || !strings.Contains(src.Text, "wheat") {
		t.Fatalf("source %+v, file %+v", src, src.File)
	}
	if s, err := a.GetPassageSource(notes.ID, 0, 0); err != nil || s.File != nil || !strings.Contains(s.Text, "Rain") {
		t.Errorf("markdown source %+v, %v", s, err)
	}

	h := documentFiles{a: a, log: a.svc.log}
	url := func(id int64, q string) string { return documents.FileURLPrefix + strconv.FormatInt(id, 10) + q }
	cases := []struct {
		name   string
		method string
		url    string
		status int
		body   []byte      // the bytes, for a 200
		code   apperr.Code // the error's code, otherwise
	}{
		{"the start", "GET", url(doc.ID, "?start=0&end=64"), 200, pdf[:64], ""},
		{"the rest, cut at the end", "GET", url(doc.ID, "?start=64&end=999999"), 200, pdf[64:], ""},
		{"no range", "GET", url(doc.ID, ""), 400, nil, apperr.Invalid},
		{"not a number", "GET", url(doc.ID, "?start=a&end=9"), 400, nil, apperr.Invalid},
		{"too long", "GET", url(doc.ID, fmt.Sprintf("?start=0&end=%d", documents.MaxRangeBytes+1)), 400, nil, apperr.Invalid},
		{"not a document", "GET", documents.FileURLPrefix + "x?start=0&end=9", 400, nil, apperr.Invalid},
		{"no such document", "GET", url(999, "?start=0&end=9"), 404, nil, apperr.NotFound},
		{"not a PDF", "GET", url(notes.ID, "?start=0&end=9"), 404, nil, apperr.NotFound},
		{"not GET", "POST", url(doc.ID, "?start=0&end=9"), 405, nil, apperr.Invalid},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.url, nil))
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, c.status, rec.Body.String())
			continue
		}
		if c.status == 200 {
			if !bytes.Equal(rec.Body.Bytes(), c.body) || rec.Header().Get("X-Chapel-Size") != strconv.Itoa(len(pdf)) {
				t.Errorf("%s: %d bytes, size %q", c.name, rec.Body.Len(), rec.Header().Get("X-Chapel-Size"))
			}
			continue
		}
		var e Error
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != string(c.code) || e.Message == "" {
			t.Errorf("%s: body %q, want code %s", c.name, rec.Body.String(), c.code)
		}
	}

	// Deleting the document removes Chapel's copy: its file is no longer served.
	if err := a.DeleteDocument(doc.ID); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", url(doc.ID, "?start=0&end=9"), nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("after delete: %d %s", rec.Code, rec.Body.String())
	}
	if names, _ := filepath.Glob(filepath.Join(a.svc.home, "documents", doc.Blake3[:2], doc.Blake3)); len(names) != 0 {
		t.Errorf("the stored copy is still there: %v", names)
	}
	// A window without its database (the damaged screen) answers, without a crash.
	rec = httptest.NewRecorder()
	documentFiles{a: &App{}, log: a.svc.log}.ServeHTTP(rec, httptest.NewRequest("GET", url(notes.ID, "?start=0&end=9"), nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("no services: %d %s", rec.Code, rec.Body.String())
	}
}
