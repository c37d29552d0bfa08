package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/store"
)

// TestSkippedLine: every file a folder's walk left out is named once, with
// why.
func TestSkippedLine(t *testing.T) {
	many := make([]ingest.Failure, 12)
	for i := range many {
		many[i] = ingest.Failure{File: fmt.Sprintf("d/f%d", i), Error: "why"}
	}
	cases := []struct {
		skipped []ingest.Failure
		more    int
		want    string
	}{
		{[]ingest.Failure{{File: "d/ls", Error: "Chapel can't read files of this kind yet"}}, 0,
			"skipped 1 file: d/ls (Chapel can't read files of this kind yet)"},
		{[]ingest.Failure{{File: "d/ls", Error: "a"}, {File: "d/pipe", Error: "b"}}, 0, "skipped 2 files: d/ls (a), d/pipe (b)"},
		{many, 0, "skipped 12 files: d/f0 (why), d/f1 (why), d/f2 (why), d/f3 (why), d/f4 (why), d/f5 (why), d/f6 (why), d/f7 (why), d/f8 (why), d/f9 (why), and 2 more"},
		{many, 5000, "skipped 5012 files: d/f0 (why), d/f1 (why), d/f2 (why), d/f3 (why), d/f4 (why), d/f5 (why), d/f6 (why), d/f7 (why), d/f8 (why), d/f9 (why), and 5002 more"},
		{many[:1], 3, "skipped 4 files: d/f0 (why), and 3 more"},
	}
	for _, c := range cases {
		if got := skippedLine(c.skipped, c.more); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}

// TestSummaryErrorDeleted: a summary that fails because its document was
// deleted meanwhile says so, instead of "summary 1 not found".
func TestSummaryErrorDeleted(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	add := func(name string) store.Document {
		d, _, err := st.AddDocument(ctx, store.NewDocument{Blake3: strings.Repeat(name[:1], 64), Name: name, Format: "text", SizeBytes: 5,
			Title: name, Text: "hello", Chunks: []store.Chunk{{Ord: 0, Start: 0, End: 5, Text: "hello"}}})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	kept, gone := add("a.md"), add("b.pdf")
	if err := st.DeleteDocument(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	svc := &services{store: st}
	cases := []struct {
		doc  store.Document
		err  error
		want string
	}{
		{kept, apperr.New(apperr.Unavailable, "no model is loaded"), "a.md: no model is loaded"},
		{gone, apperr.New(apperr.NotFound, "summary 1 not found"), "b.pdf was deleted while it was being summarised"},
		{gone, apperr.New(apperr.Internal, "constraint failed"), "b.pdf was deleted while it was being summarised"},
	}
	for _, c := range cases {
		if got := summaryError(ctx, svc, c.doc, c.err); got != c.want {
			t.Errorf("%s: %q, want %q", c.doc.Name, got, c.want)
		}
	}
}

// cutPDFs writes two PDFs cut short: lost.pdf, whose list of pages is gone
// (3 pages found), and cut.pdf, which announces 4 pages of which 2 are
// there.
func cutPDFs(t *testing.T, dir string) (lost, cut string) {
	t.Helper()
	var pages []pdfgen.Page
	for i, w := range []string{"alpha", "bravo", "charlie", "delta"} {
		lines := []string{fmt.Sprintf("The page of %s.", w)}
		for range i {
			lines = append([]string{""}, lines...)
		}
		pages = append(pages, pdfgen.Page{Lines: append(lines, strings.Repeat(w+" ", 8*(i+1)))})
	}
	g := pdfgen.Simple(pages[:3]...)
	g.Set(2, "null")
	lost = filepath.Join(dir, "lost.pdf")
	whole := pdfgen.Simple(pages...).Bytes(1)
	k := bytes.Index(whole, []byte(fmt.Sprintf("\n%d 0 obj", 4+2*2))) // after page 2
	cut = filepath.Join(dir, "cut.pdf")
	if err := os.WriteFile(lost, g.Bytes(1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, whole[:k+1], 0o644); err != nil {
		t.Fatal(err)
	}
	return lost, cut
}

// programFile writes the start of this test binary (a real program) at
// path.
func programFile(t *testing.T, path string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 256<<10))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs cmd and returns its exit code, standard output and error.
func run(t *testing.T, cmd *exec.Cmd) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// mixedFolder makes the files the CLI review used: a program renamed .txt,
// 10 MB of zeros, PDFs cut short and a folder holding a program without an
// extension beside a document.
func mixedFolder(t *testing.T) string {
	t.Helper()
	in := t.TempDir()
	programFile(t, filepath.Join(in, "ls.txt"))
	if err := os.WriteFile(filepath.Join(in, "zeros.txt"), make([]byte, 10<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	cutPDFs(t, in)
	if err := os.MkdirAll(filepath.Join(in, "mixed"), 0o755); err != nil {
		t.Fatal(err)
	}
	programFile(t, filepath.Join(in, "mixed", "ls"))
	if err := os.WriteFile(filepath.Join(in, "mixed", "notes.md"), []byte("# Notes\n\nThe farmers counted their sheep by the river.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return in
}

// TestExtractCLIRefusals: `chapel extract` refuses binary data and files
// without text (exit 1, one sentence), says a folder is one once, and
// warns on stderr that a PDF cut short is incomplete; --json keys are
// snake_case.
func TestExtractCLIRefusals(t *testing.T) {
	in := mixedFolder(t)
	cases := []struct {
		name    string
		args    []string
		code    int
		stderr  string // "" wants nothing on stderr
		stdout  string
		noOut   bool
		stderrN int // how many times stderr says it (0: at least once)
	}{
		{name: "program named .txt", args: []string{"ls.txt"}, code: 1, noOut: true,
			stderr: "chapel: ls.txt: this file does not look like text (it holds binary data)\n"},
		{name: "zeros", args: []string{"zeros.txt"}, code: 1, noOut: true, stderr: "chapel: zeros.txt: this file has no text to read\n"},
		{name: "folder", args: []string{"mixed"}, code: 1, noOut: true, stderr: "this is a folder, not a file", stderrN: 1},
		{name: "page tree lost", args: []string{"lost.pdf"}, stdout: "The page of charlie.",
			stderr: "chapel: warning: lost.pdf: this PDF is damaged or cut short: its list of pages is missing, so only the 3 pages found could be read\n"},
		{name: "pages missing", args: []string{"cut.pdf"}, stdout: "The page of bravo.",
			stderr: "chapel: warning: cut.pdf: this PDF is damaged or cut short: only 2 of the 4 pages it announces could be read\n"},
		{name: "json keys", args: []string{"--json", "lost.pdf"}, stdout: `"pages_lost": true`, stderr: "only the 3 pages found"},
		{name: "whole document", args: []string{"mixed/notes.md"}, stdout: "The farmers counted"},
		// A file given by its full path is named by its name, in every
		// message alike: "does not exist" quoted the whole path.
		{name: "missing, full path", args: []string{filepath.Join(in, "gone.txt")}, code: 1, noOut: true,
			stderr: "chapel: gone.txt: the file was not found; it may have been moved or deleted\n"},
		{name: "program, full path", args: []string{filepath.Join(in, "ls.txt")}, code: 1, noOut: true,
			stderr: "chapel: ls.txt: this file does not look like text (it holds binary data)\n"},
		{name: "folder, full path", args: []string{filepath.Join(in, "mixed")}, code: 1, noOut: true,
			stderr: "chapel: mixed: this is a folder, not a file\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := chapelCmd(t.TempDir(), append([]string{"extract"}, c.args...)...)
			cmd.Dir = in
			code, stdout, stderr := run(t, cmd)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			switch {
			case c.stderr == "" && stderr != "":
				t.Errorf("stderr %q, want nothing", stderr)
			case c.stderrN > 0 && strings.Count(stderr, c.stderr) != c.stderrN:
				t.Errorf("stderr %q says %q %d times, want %d", stderr, c.stderr, strings.Count(stderr, c.stderr), c.stderrN)
			case !strings.Contains(stderr, c.stderr):
				t.Errorf("stderr %q, want %q", stderr, c.stderr)
			}
			if c.noOut && stdout != "" || !strings.Contains(stdout, c.stdout) {
				t.Errorf("stdout %.200q, want %q", stdout, c.stdout)
			}
			if strings.Contains(stdout, `"PagesLost"`) || strings.Contains(stdout, `"Format"`) {
				t.Errorf("Go-style keys in %.200q", stdout)
			}
		})
	}
}

// TestSummarizeCLIRefusals: `chapel summarize` refuses a program renamed
// .txt and a file without text, keeping no document and no stored copy;
// names the program a folder's walk skipped; and says a PDF cut short is
// incomplete, in its coverage line and --json fields too.
func TestSummarizeCLIRefusals(t *testing.T) {
	in := mixedFolder(t)
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr []string
		stdout []string
		docs   []string // the documents kept
	}{
		{name: "program named .txt", args: []string{"ls.txt"}, code: 1,
			stderr: []string{"chapel: ls.txt: this file does not look like text (it holds binary data)\n"}},
		{name: "zeros", args: []string{"zeros.txt"}, code: 1, stderr: []string{"chapel: zeros.txt: this file has no text to read\n"}},
		{name: "folder", args: []string{"mixed"}, docs: []string{"notes.md"},
			stderr: []string{"chapel: skipped 1 file: " + filepath.Join("mixed", "ls") + " (Chapel can't read files of this kind yet)\n"}},
		{name: "page tree lost", args: []string{"lost.pdf"}, docs: []string{"lost.pdf"},
			stderr: []string{"chapel: warning: lost.pdf: this PDF is damaged or cut short: its list of pages is missing, so only the 3 pages found could be read\n"},
			stdout: []string{"Covers pages 1–3 of the 3 that could be read (the file is damaged: pages after 3 are missing)\n"}},
		{name: "pages missing, json", args: []string{"--json", "cut.pdf"}, docs: []string{"cut.pdf"},
			stderr: []string{"only 2 of the 4 pages it announces could be read"},
			stdout: []string{`"pages_announced":4`, `"pages_lost":false`, `"warning":"this PDF is damaged or cut short: only 2 of the 4 pages`,
				`"coverage":"Covers pages 1–2 of the 2 that could be read (the file is damaged: it announces 4 pages, and those after 2 are missing)"`}},
		{name: "page tree lost, json", args: []string{"--json", "lost.pdf"}, docs: []string{"lost.pdf"},
			stdout: []string{`"pages_lost":true`}},
		// By full path, named by name like the summary's other lines ("was
		// not found" gave the whole path).
		{name: "missing, full path", args: []string{filepath.Join(in, "gone.txt")}, code: 1,
			stderr: []string{"chapel: gone.txt: the file was not found; it may have been moved or deleted\n"}},
		{name: "program, full path", args: []string{filepath.Join(in, "ls.txt")}, code: 1,
			stderr: []string{"chapel: ls.txt: this file does not look like text (it holds binary data)\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			cmd := chapelCmd(home, append([]string{"summarize", "--model", model}, c.args...)...)
			cmd.Dir = in
			code, stdout, stderr := run(t, cmd)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			for _, s := range c.stderr {
				if strings.Count(stderr, s) != 1 {
					t.Errorf("stderr %q says %q %d times, want once", stderr, s, strings.Count(stderr, s))
				}
			}
			for _, s := range c.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout %.300q lacks %q", stdout, s)
				}
			}
			var list []store.Document
			runJSON(t, chapelCmd(home, "documents", "--json"), &list)
			var names []string
			for _, d := range list {
				names = append(names, d.Name)
			}
			if strings.Join(names, ",") != strings.Join(c.docs, ",") {
				t.Errorf("documents %q, want %q", names, c.docs)
			}
			stored, _ := filepath.Glob(filepath.Join(home, "documents", "??", "*"))
			if len(stored) != len(c.docs) {
				t.Errorf("stored copies %q, want one per document %q", stored, c.docs)
			}
		})
	}
}

// TestSummarizeDocumentDeleted deletes the document `chapel summarize` is
// summarising from another process: the summary ends saying so.
// The document is long (some 400 steps on the tiny model) so the summary is
// still running when the delete comes, however fast the machine.
func TestSummarizeDocumentDeleted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a summary on a real model")
	}
	home := t.TempDir()
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	doc := filepath.Join(t.TempDir(), "valleys.md")
	if err := os.WriteFile(doc, []byte(longText(400)), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := chapelCmd(home, "summarize", "--model", model, doc)
	var stderr bytes.Buffer
	sum.Stderr = &stderr
	if err := sum.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sum.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		time.Sleep(50 * time.Millisecond)
		if _, err := os.Stat(filepath.Join(home, "chapel.db")); err == nil && len(savedPieces(t, home)) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			sum.Process.Kill()
			t.Fatalf("no pieces saved within a minute; stderr:\n%s", stderr.String())
		}
	}
	code, out, errOut := run(t, chapelCmd(home, "documents", "delete", "1"))
	if code != 0 {
		t.Fatalf("documents delete: exit %d: %s%s", code, out, errOut)
	}
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 {
			t.Errorf("summarize ended with %v, want exit 1", err)
		}
	case <-time.After(60 * time.Second):
		sum.Process.Kill()
		t.Fatal("summarize went on after its document was deleted")
	}
	if got := stderr.String(); !strings.Contains(got, "chapel: valleys.md was deleted while it was being summarised\n") || strings.Contains(got, "not found") {
		t.Errorf("stderr:\n%s", got)
	}
}
