package app

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/docs"
	"github.com/chapelapp/chapel/backend/ingest"
)

// cmdExtract prints the text Chapel reads from a document: `chapel extract
// FILE`, with a PDF's pages separated by form feeds ("\f"); --json prints
// the whole Document (pages, sections, paragraphs as byte offsets, with
// snake_case keys). A PDF cut short is printed as far as it could be read,
// with a warning on stderr.
func cmdExtract(args []string) int {
	fl := flag.NewFlagSet("extract", flag.ContinueOnError)
	asJSON := fl.Bool("json", false, "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) != 1 {
		return usageError(fmt.Errorf("extract needs one FILE"))
	}
	path := pos[0]
	// Opened without blocking and checked on the handle: a FIFO or a
	// device is refused at once instead of read (or waited on) forever.
	f, st, err := ingest.OpenRegular(path)
	if err != nil {
		// Named as every other message names a file (its name, as summarize
		// does), with summarize's sentence; the cause is the sentence
		// itself ("this is a folder, not a file"): said once.
		code := apperr.Invalid
		if errors.Is(err, fs.ErrNotExist) {
			code = apperr.NotFound
		}
		return fail(&apperr.Error{Code: code, Msg: fileLabel(path) + ": " + ingest.Message(err)})
	}
	defer f.Close()

	ctx, stop := stopContext()
	defer stop()
	doc, err := docs.Extract(ctx, f, st.Size(), filepath.Base(path), docs.DefaultLimits())
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "chapel: stopped")
			return stoppedCode()
		}
		return fail(docError(filepath.Base(path), err))
	}
	// A PDF cut short is read as far as it goes, and said to be incomplete.
	if warn := docs.PagesWarning(len(doc.Pages), doc.PagesAnnounced, doc.PagesLost); warn != "" {
		fmt.Fprintf(os.Stderr, "chapel: warning: %s: %s\n", termLine(filepath.Base(path)), warn)
	}
	w := bufio.NewWriter(os.Stdout)
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(doc)
	} else {
		w.WriteString(termText(doc.Text))
		if len(doc.Text) > 0 && doc.Text[len(doc.Text)-1] != '\n' {
			w.WriteByte('\n')
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fail(apperr.Wrap(apperr.Unavailable, err, "could not write the text"))
	}
	return 0
}

// fileLabel is how a message names a file: by its name, the folders it is
// in left out ("report.pdf: this PDF is password-protected"), as the
// summary's progress, plan and headings name its document.
func fileLabel(path string) string { return filepath.Base(path) }

// docError gives an extraction failure a code and the file's name:
// "report.pdf: this PDF is password-protected".
func docError(name string, err error) error {
	code := apperr.Invalid
	switch docs.KindOf(err) {
	case docs.Unreadable:
		code = apperr.Unavailable
	case docs.Internal:
		return &apperr.Error{Code: apperr.Internal, Msg: name + ": " + err.Error(), Err: errors.Unwrap(err)}
	}
	return apperr.Wrap(code, err, "%s", name)
}
