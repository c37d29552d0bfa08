package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/docs"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
)

// cmdSummarize adds files to the documents and prints a summary of each.
func cmdSummarize(args []string) int {
	fl := flag.NewFlagSet("summarize", flag.ContinueOnError)
	home := fl.String("home", "", "")
	modelPath := fl.String("model", "", "")
	style := fl.String("style", "brief", "")
	asJSON := fl.Bool("json", false, "")
	force := fl.Bool("force", false, "") // make the summary again: saved pieces are not reused
	var endpoints listFlag               // engines_cli.go: endpoints that share the map steps
	fl.Var(&endpoints, "endpoint", "")
	apiKey := fl.String("api-key", os.Getenv("CHAPEL_API_KEY"), "")
	files, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(files) == 0 {
		return usageError(fmt.Errorf("summarize needs at least one FILE"))
	}
	if !validStyle(*style) {
		return usageError(fmt.Errorf("--style must be one of %s", strings.Join(summarize.Styles, ", ")))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	ctx, stop := stopContext()
	defer stop()
	return withServices(ctx, func(svc *services) int {
		report, err := shareSummaryWork(ctx, svc, endpoints, *apiKey)
		if err != nil {
			return fail(err)
		}
		defer report()
		return summarizeFiles(ctx, svc, *modelPath, summarize.Request{Style: *style, Force: *force}, *asJSON, files)
	})
}

func validStyle(s string) bool {
	for _, x := range summarize.Styles {
		if s == x {
			return true
		}
	}
	return false
}

// summaryJSON is what `summarize --json` prints for each document.
type summaryJSON struct {
	DocumentID       int64                `json:"document_id"`
	Name             string               `json:"name"`
	Blake3           string               `json:"blake3"`
	Pages            int                  `json:"pages"`
	Chunks           int                  `json:"chunks"`
	ChunksSummarized int                  `json:"chunks_summarized"`
	Style            string               `json:"style"`
	Status           string               `json:"status"`
	Coverage         string               `json:"coverage"`
	PagesAnnounced   int                  `json:"pages_announced"` // a PDF's stated page count (0: states none)
	PagesLost        bool                 `json:"pages_lost"`      // the PDF's list of pages is missing (cut short)
	Warning          string               `json:"warning,omitempty"`
	Summary          string               `json:"summary"`
	Citations        []summarize.Citation `json:"citations"`
	Error            string               `json:"error,omitempty"`
}

// summarizeFiles ingests files, then summarises each document they gave in
// req's style (made again with req.Force). Files that cannot be read are
// reported and the others go on; the exit code is 1 when any file or
// summary failed, 130 when interrupted.
func summarizeFiles(ctx context.Context, svc *services, modelPath string, req summarize.Request, asJSON bool, files []string) int {
	if err := loadForCLI(ctx, svc, modelPath, 0); err != nil {
		return fail(err)
	}
	progress := newProgressLine()
	out, err := svc.ingest.Ingest(ctx, files, func(ev ingest.Event) { progress.ingest(ev) })
	progress.done()
	if ctx.Err() != nil || apperr.CodeOf(err) == apperr.Canceled {
		fmt.Fprintln(os.Stderr, "chapel: stopped")
		return stoppedCode()
	}
	if err != nil {
		return fail(err)
	}
	code := 0
	for _, f := range out.Failures {
		fmt.Fprintf(os.Stderr, "chapel: %s: %s\n", termLine(fileLabel(f.File)), termLine(f.Error))
		code = 1
	}
	if len(out.Skipped) > 0 {
		fmt.Fprintf(os.Stderr, "chapel: %s\n", termLine(skippedLine(out.Skipped, out.SkippedMore)))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for i, doc := range out.Documents {
		req.DocumentID = doc.ID
		warn := docs.PagesWarning(doc.Pages, doc.PagesAnnounced, doc.PagesLost)
		if warn != "" {
			fmt.Fprintf(os.Stderr, "chapel: warning: %s: %s\n", termLine(doc.Name), warn)
		}
		v, err := svc.summaries.SummarizeRequest(ctx, req, func(p summarize.Progress) { progress.summary(doc.Name, p) })
		progress.done()
		if ctx.Err() != nil {
			// Run again without --force: with it, the steps just saved would be made anew.
			again := "run the same command again to go on"
			if req.Force {
				again = "run the command again without --force to go on"
			}
			fmt.Fprintf(os.Stderr, "chapel: %s\n", stoppedLine(termLine(doc.Name), v.PiecesDone, v.PiecesTotal, again))
			return stoppedCode()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "chapel: %s\n", termLine(summaryError(ctx, svc, doc, err)))
			code = 1
			continue
		}
		if v.Status != store.SummaryComplete {
			code = 1
		}
		coverage := v.Coverage // says so for a PDF cut short (summarize.DamagedCoverage)
		if asJSON {
			if err := enc.Encode(summaryJSON{DocumentID: doc.ID, Name: doc.Name, Blake3: doc.Blake3, Pages: doc.Pages, Chunks: doc.Chunks,
				ChunksSummarized: v.ChunksSummarized, Style: v.Style, Status: v.Status, Coverage: coverage,
				PagesAnnounced: doc.PagesAnnounced, PagesLost: doc.PagesLost, Warning: warn, Summary: v.Text,
				Citations: v.Citations, Error: v.Error}); err != nil {
				return fail(err)
			}
			continue
		}
		if i > 0 {
			fmt.Println()
		}
		name := termLine(doc.Name)
		fmt.Printf("%s\n%s\n\n%s\n\n%s\n", name, strings.Repeat("=", len([]rune(name))), termText(strings.TrimSpace(v.Text)), termText(coverage))
		if v.Error != "" && v.Status != store.SummaryComplete {
			fmt.Printf("(%s)\n", termLine(v.Error))
		}
	}
	return code
}

// progressLine prints progress to stderr: rewriting one line on a
// terminal, else a line at most every two seconds.
type progressLine struct {
	tty  bool
	last time.Time
	open bool
	plan string // the summary plan said last
}

func newProgressLine() *progressLine {
	return &progressLine{tty: isTerminal(os.Stderr)}
}

func (p *progressLine) print(final bool, format string, args ...any) {
	if !final && time.Since(p.last) < map[bool]time.Duration{true: 100 * time.Millisecond, false: 2 * time.Second}[p.tty] {
		return
	}
	p.last = time.Now()
	line := termLine(fmt.Sprintf(format, args...))
	if p.tty {
		fmt.Fprintf(os.Stderr, "\r\033[K%s", line)
		p.open = true
		return
	}
	fmt.Fprintln(os.Stderr, line)
}

func (p *progressLine) done() {
	if p.open {
		fmt.Fprintln(os.Stderr)
		p.open = false
	}
}

func (p *progressLine) ingest(ev ingest.Event) {
	name := fileLabel(ev.File)
	switch ev.Phase {
	case "reading":
		p.print(false, "reading %s: %s", name, bytesOf(ev.BytesDone, ev.BytesTotal))
	case "extracting":
		if ev.PagesTotal > 0 {
			p.print(false, "reading the text of %s: page %d of %d", name, ev.PagesDone, ev.PagesTotal)
		} else {
			p.print(false, "reading the text of %s", name)
		}
	case "indexing":
		p.print(false, "indexing %s", name)
	case "done":
		if ev.Duplicate {
			p.print(true, "%s is already in your documents", name)
		} else if ev.Document != nil {
			p.print(true, "added %s (%s)", name, docSize(*ev.Document))
		}
	}
}

// bytesOf says how much of a file is read, in the unit its size is best
// told in: "12 of 250 MB", "3 of 40 KB", "0 of 27 B" (a file under a
// megabyte read "0 of 0 MB").
func bytesOf(done, total int64) string {
	switch {
	case total >= 1<<20:
		return fmt.Sprintf("%d of %d MB", done>>20, total>>20)
	case total >= 1<<10:
		return fmt.Sprintf("%d of %d KB", done>>10, total>>10)
	}
	return fmt.Sprintf("%d of %d B", done, total)
}

// stoppedLine says what an interrupted summary kept: the steps saved, or,
// stopped before its plan was made (no steps yet), that only the document
// was added.
func stoppedLine(name string, done, total int, again string) string {
	if total == 0 {
		return fmt.Sprintf("stopped before the summary of %s began; the document is saved — %s", name, again)
	}
	return fmt.Sprintf("stopped; %d of %d steps of the summary of %s are saved — %s", done, total, name, again)
}

func (p *progressLine) summary(name string, pr summarize.Progress) {
	if pr.Status != store.SummaryRunning {
		return
	}
	if pr.Plan != "" && pr.Plan != p.plan {
		// Once per plan: its steps, and whether its token counts are estimates.
		p.plan = pr.Plan
		p.print(true, "plan for %s: %s", name, pr.Plan)
		p.done()
	}
	eta := "estimating the time left"
	if pr.ETASeconds >= 0 {
		eta = "about " + humanDuration(time.Duration(pr.ETASeconds*float64(time.Second))) + " left"
	}
	p.print(false, "summarizing %s: %d of %d steps · %.1f tok/s · %s", name, pr.PiecesDone, pr.PiecesTotal, pr.TokensPerSecond, eta)
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()+0.5))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

func docSize(d store.Document) string {
	if d.Pages > 0 {
		return plural(d.Pages, "page") + ", " + plural(d.Chunks, "passage")
	}
	return plural(d.Chunks, "passage")
}

// cmdDocuments lists the stored documents; `documents delete ID…` deletes
// them.
func cmdDocuments(args []string) int {
	if len(args) > 0 && args[0] == "delete" {
		return cmdDeleteDocuments(args[1:])
	}
	return listCommand("documents", args, listDocuments)
}

// listDocuments prints the stored documents, as a table or JSON.
func listDocuments(ctx context.Context, svc *services, asJSON bool) int {
	list, err := svc.store.ListDocuments(ctx)
	if err != nil {
		return fail(err)
	}
	if asJSON {
		return printJSON(list)
	}
	if len(list) == 0 {
		fmt.Println("No documents yet.")
		return 0
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDED\tFORMAT\tSIZE\tPAGES\tNAME")
	for _, d := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", d.ID, time.UnixMilli(d.CreatedAt).Format("2006-01-02 15:04"), termLine(d.Format),
			humanBytes(d.SizeBytes), d.Pages, termLine(d.Name))
	}
	tw.Flush()
	return 0
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// skippedMax is how many skipped files skippedLine names.
const skippedMax = 10

// skippedLine names the files of folders that were left out, each with
// why: "skipped 2 files: d/ls (Chapel can't read files of this kind yet),
// d/pipe (…)"; past skippedMax, the rest are counted.
func skippedLine(skipped []ingest.Failure, more int) string {
	total := len(skipped) + more
	noun := "files"
	if total == 1 {
		noun = "file"
	}
	parts := make([]string, 0, min(len(skipped), skippedMax)+1)
	for i, f := range skipped {
		if i == skippedMax {
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", f.File, f.Error))
	}
	if rest := total - len(parts); rest > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", rest))
	}
	return fmt.Sprintf("skipped %d %s: %s", total, noun, strings.Join(parts, ", "))
}

// summaryError is the line a failed summary of doc prints. A document
// deleted meanwhile (by the window, or `chapel documents delete` in
// another process) fails on its summary's missing rows, which is said as
// what happened.
func summaryError(ctx context.Context, svc *services, doc store.Document, err error) string {
	if _, gerr := svc.store.GetDocument(context.WithoutCancel(ctx), doc.ID); apperr.CodeOf(gerr) == apperr.NotFound {
		return doc.Name + " was deleted while it was being summarised"
	}
	return doc.Name + ": " + apperr.Message(err)
}
