package ingest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// programBytes is the start of this test binary: a real program.
func programBytes(t *testing.T) []byte {
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
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIngestRefusesNonText: a program renamed .txt is refused as binary
// data and a file with no text (10 MB of zeros, blank lines) is refused;
// neither leaves a document or a stored copy behind. In a folder, every
// file left out is named once with why: the formats Chapel does not read
// in Skipped, the documents it could not read in Failures.
func TestIngestRefusesNonText(t *testing.T) {
	program := programBytes(t)
	type file struct {
		name string
		data []byte
	}
	good := file{"good.md", markdownFile("goodword")}
	cases := []struct {
		name     string
		files    []file
		named    []string // paths to ingest (default: the files)
		unixOnly bool     // adds a named pipe and a broken link to the folder "mixed"
		failures map[string]string
		skipped  map[string]string
	}{
		{name: "program named .txt", files: []file{{"ls.txt", program}, good},
			failures: map[string]string{"ls.txt": "this file does not look like text (it holds binary data)"}},
		{name: "program named .md", files: []file{{"ls.md", program}, good},
			failures: map[string]string{"ls.md": "this file does not look like text (it holds binary data)"}},
		{name: "zeros", files: []file{{"zeros.txt", make([]byte, 10<<20)}, good},
			failures: map[string]string{"zeros.txt": "this file has no text to read"}},
		{name: "blank lines", files: []file{{"blank.md", []byte(strings.Repeat("   \n\n", 1000))}, good},
			failures: map[string]string{"blank.md": "this file has no text to read"}},
		{name: "folder", files: []file{{"mixed/ls", program}, {"mixed/ls.txt", program}, {"mixed/zeros.txt", make([]byte, 1<<20)},
			{"mixed/empty.txt", nil}, {"mixed/pic.png", []byte("\x89PNG\r\n\x1a\n\x00\x00")}, {"mixed/.hidden", program}, {"mixed/good.md", good.data}},
			named: []string{"mixed"},
			failures: map[string]string{"ls.txt": "this file does not look like text (it holds binary data)",
				"zeros.txt": "this file has no text to read", "empty.txt": "the file is empty"},
			skipped: map[string]string{"ls": "Chapel can't read files of this kind yet", "pic.png": "Chapel can't read .png files yet"}},
		{name: "folder with a pipe and a broken link", files: []file{{"mixed/good.md", good.data}}, named: []string{"mixed"}, unixOnly: true,
			skipped: map[string]string{"pipe": "this is not an ordinary file, so Chapel can't read it",
				"gone.md": "this link points to nothing that can be opened"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			var paths []string
			for _, f := range c.files {
				paths = append(paths, e.write(f.name, f.data))
			}
			if c.unixOnly {
				addPipeAndLink(t, filepath.Join(e.in, "mixed"), filepath.Join(e.in, "nowhere.md"))
			}
			if c.named != nil {
				paths = paths[:0]
				for _, n := range c.named {
					paths = append(paths, filepath.Join(e.in, n))
				}
			}
			// Through a job, as the window adds files: its "finished"
			// event carries the outcome.
			job, err := e.svc.Start(paths, func(string, any) {})
			if err != nil {
				t.Fatal(err)
			}
			fin := waitFinished(t, e.svc, job.ID)
			check := func(what string, list []Failure, want map[string]string) {
				t.Helper()
				got := map[string]string{}
				for _, f := range list {
					if _, twice := got[filepath.Base(f.File)]; twice {
						t.Errorf("%s names %s twice", what, f.File)
					}
					got[filepath.Base(f.File)] = f.Error
				}
				if len(got) != len(want) {
					t.Errorf("%s %q, want %q", what, got, want)
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s: %s: %q, want %q", what, k, got[k], v)
					}
				}
			}
			check("failures", fin.Failures, c.failures)
			check("skipped", fin.Skipped, c.skipped)
			if len(fin.Documents) != 1 || fin.Documents[0].Name != "good.md" {
				t.Errorf("documents %+v, want good.md alone", fin.Documents)
			}
			ds, err := e.st.ListDocuments(context.Background())
			if err != nil || len(ds) != 1 {
				t.Errorf("the library holds %+v (%v), want good.md alone", ds, err)
			}
			e.checkClean() // no stored copy of a refused file
		})
	}
}

// waitFinished waits for a job's "finished" event.
func waitFinished(t *testing.T, s *Service, job int64) Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		evs, err := s.State(job)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(evs); n > 0 && evs[n-1].Phase == PhaseFinished {
			return evs[n-1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", job)
	return Event{}
}

// TestSkippedNamedThenCounted: a folder of many files Chapel does not read
// (a source tree) names the first SkippedNamed and counts the rest, in the
// outcome and its "finished" event.
func TestSkippedNamedThenCounted(t *testing.T) {
	e := newEnv(t)
	e.write("tree/readme.md", markdownFile("treeword"))
	for i := range SkippedNamed + 7 {
		e.write(fmt.Sprintf("tree/f%03d.o", i), []byte("\x7fELF"))
	}
	job, err := e.svc.Start([]string{filepath.Join(e.in, "tree")}, func(string, any) {})
	if err != nil {
		t.Fatal(err)
	}
	fin := waitFinished(t, e.svc, job.ID)
	if len(fin.Skipped) != SkippedNamed || fin.SkippedMore != 7 || len(fin.Documents) != 1 {
		t.Errorf("%d named, %d more, %d documents; want %d, 7, 1", len(fin.Skipped), fin.SkippedMore, len(fin.Documents), SkippedNamed)
	}
}
