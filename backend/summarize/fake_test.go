package summarize

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// fakeEngine counts a token per word and "summarises" by echoing the first
// sentence of each block of its input, optionally inventing a marker. It
// checks what the real engine checks: at most MaxParallel requests whose
// prompts and answers fit the context together.
type fakeEngine struct {
	mu          sync.Mutex
	ctxSize     int
	invent      bool   // add "[p. 999]" to every answer
	failOn      string // a batch with a request containing this fails
	cancelAfter int    // call cancel once this many requests were answered
	cancel      context.CancelFunc
	hold        chan struct{} // when set, GenerateBatch waits for it (or ctx)
	holding     chan struct{} // closed when GenerateBatch first waits

	generated []string // user turns answered (not canceled)
	batches   []int
	counts    int // CountTokens calls
}

func newFake(ctxSize int) *fakeEngine { return &fakeEngine{ctxSize: ctxSize, invent: true} }

func (f *fakeEngine) Model(context.Context) (engine.ModelInfo, bool) {
	return engine.ModelInfo{Path: "/models/fake.gguf", Name: "fake", SizeBytes: 1234, ContextSize: f.ctxSize, HasTemplate: true}, true
}

func (f *fakeEngine) CountTokens(_ context.Context, texts []string) ([]int, error) {
	f.mu.Lock()
	f.counts++
	f.mu.Unlock()
	out := make([]int, len(texts))
	for i, t := range texts {
		out[i] = len(strings.Fields(t))
	}
	return out, nil
}

func (f *fakeEngine) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(int, string)) ([]engine.Result, error) {
	if len(reqs) == 0 || len(reqs) > engine.MaxParallel {
		return nil, apperr.New(apperr.Invalid, "a batch takes 1 to %d requests, not %d", engine.MaxParallel, len(reqs))
	}
	total := 0
	for i, r := range reqs {
		own := r.MaxTokens
		for _, m := range r.Messages {
			own += len(strings.Fields(m.Content)) + 4
		}
		// An endpoint sharing the batch is chosen by what a step says it
		// needs (remote.Switch): it must say, and say enough.
		if r.ContextNeeded <= 0 || own > r.ContextNeeded {
			return nil, apperr.New(apperr.Invalid, "request %d needs %d tokens of context but says %d", i, own, r.ContextNeeded)
		}
		total += own
		if f.failOn != "" && strings.Contains(r.Messages[len(r.Messages)-1].Content, f.failOn) {
			return nil, apperr.New(apperr.Internal, "the engine stopped")
		}
	}
	if total > f.ctxSize {
		return nil, apperr.New(apperr.Invalid, "%d parallel requests need %d tokens of context; the model runs with %d", len(reqs), total, f.ctxSize)
	}
	if f.hold != nil {
		f.mu.Lock()
		if f.holding != nil {
			close(f.holding)
			f.holding = nil
		}
		f.mu.Unlock()
		select {
		case <-f.hold:
		case <-ctx.Done():
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(reqs))
	res := make([]engine.Result, len(reqs))
	for i, r := range reqs {
		if ctx.Err() != nil {
			res[i].StopReason = engine.StopCanceled
			continue
		}
		user := r.Messages[len(r.Messages)-1].Content
		out, n := firstWords(echo(user, f.invent), r.MaxTokens)
		res[i] = engine.Result{PromptTokens: len(strings.Fields(user)), CompletionTokens: n, StopReason: engine.StopEOG}
		onPiece(i, out)
		f.generated = append(f.generated, user)
		if f.cancelAfter > 0 && len(f.generated) == f.cancelAfter {
			f.cancel()
		}
	}
	return res, nil
}

// echo answers with the first sentence of each block after the header line
// (heading lines kept), inventing a marker after the first when told.
func echo(user string, invent bool) string {
	_, body, _ := strings.Cut(user, "\n\n")
	var out []string
	for _, block := range strings.Split(body, "\n\n") {
		for _, line := range strings.Split(block, "\n") {
			if strings.HasPrefix(line, "#") {
				out = append(out, "\n"+line+"\n")
				continue
			}
			if s := strings.TrimSpace(line); s != "" {
				out = append(out, splitSentences(s)[0])
				break
			}
		}
	}
	if invent && len(out) > 0 {
		out[0] += " [p. 999]"
	}
	return strings.Join(out, " ")
}

// firstWords keeps the first n words of s as they are written.
func firstWords(s string, n int) (string, int) {
	words := 0
	for i, r := range s {
		if !unicode.IsSpace(r) && (i == 0 || unicode.IsSpace(rune(s[i-1]))) {
			if words == n {
				return s[:i], words
			}
			words++
		}
	}
	return s, words
}

func (f *fakeEngine) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.generated)
}

// testDoc is a generated document: sentences of numbered words, so each
// sentence names where it comes from.
type testDoc struct {
	pages    int      // 0: no pages
	sections []string // per chunk, when not paginated
	chunks   []store.Chunk
}

// sentence k of page (or passage) p: its word "w<p>s<k>" is unique.
func sentence(p, k int) string {
	return fmt.Sprintf("Record w%ds%d notes that the harbour trade grew by %d percent in season %d.", p, k, p+k, k)
}

// pagedDoc has pages of perPage sentences, perChunk sentences to a chunk,
// so chunks run across page ends.
func pagedDoc(pages, perPage, perChunk int) testDoc {
	var ss []string
	var pageOf []int
	for p := 1; p <= pages; p++ {
		for k := 1; k <= perPage; k++ {
			ss, pageOf = append(ss, sentence(p, k)), append(pageOf, p)
		}
	}
	d := testDoc{pages: pages}
	for i := 0; i < len(ss); i += perChunk {
		j := min(i+perChunk, len(ss))
		d.chunks = append(d.chunks, store.Chunk{PageStart: pageOf[i], PageEnd: pageOf[j-1], Text: strings.Join(ss[i:j], " ") + "\n"})
	}
	return d
}

// plainDoc has chunks of the given sentence counts and optional sections.
func plainDoc(sizes []int, sections []string) testDoc {
	d := testDoc{sections: sections}
	for i, n := range sizes {
		var ss []string
		for k := 1; k <= n; k++ {
			ss = append(ss, sentence(i+1, k))
		}
		c := store.Chunk{Text: strings.Join(ss, " ") + "\n"}
		if sections != nil {
			c.Section = sections[i]
		}
		d.chunks = append(d.chunks, c)
	}
	return d
}

// add stores the document and returns it.
func (d testDoc) add(t *testing.T, st *store.Store, name string) store.Document {
	t.Helper()
	nd := store.NewDocument{Name: name, Format: "text", SizeBytes: 1, Blake3: fmt.Sprintf("%064x", len(name)*7919+len(d.chunks))}
	pos := 0
	for i, c := range d.chunks {
		c.Ord, c.Start, c.End = i, pos, pos+len(c.Text)
		pos = c.End
		nd.Text += c.Text
		nd.Chunks = append(nd.Chunks, c)
	}
	if d.pages > 0 {
		nd.Format = "pdf"
		for p := 1; p <= d.pages; p++ {
			pg := store.DocumentPage{Number: p, Start: -1}
			for _, c := range nd.Chunks { // a page spans the chunks on it
				if c.PageStart <= p && p <= c.PageEnd {
					if pg.Start < 0 {
						pg.Start = c.Start
					}
					pg.End = c.End
				}
			}
			pg.Start = max(pg.Start, 0)
			nd.Pages = append(nd.Pages, pg)
		}
	}
	doc, _, err := st.AddDocument(context.Background(), nd)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
