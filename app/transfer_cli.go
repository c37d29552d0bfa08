package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/transfer"
)

// cmdExport writes a conversation (Markdown or JSON) or everything (a zip
// archive) to --out or stdout:
// chapel export [--home DIR] [--conversation ID] [--format md|json] [--out FILE].
func cmdExport(args []string) int {
	fl := flag.NewFlagSet("export", flag.ContinueOnError)
	home := fl.String("home", "", "")
	convID := fl.Int64("conversation", 0, "")
	format := fl.String("format", "md", "")
	out := fl.String("out", "", "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) > 0 {
		return usageError(fmt.Errorf("export takes no arguments besides its flags (got %q)", pos[0]))
	}
	if *format != "md" && *format != "json" {
		return usageError(fmt.Errorf("--format must be md or json"))
	}
	// Checked before anything runs: a folder for --out (the archive would
	// have gone to a temporary file in its parent and failed to replace
	// the folder), or the binary archive to a terminal.
	if *out != "" {
		if fi, err := os.Stat(*out); err == nil && fi.IsDir() {
			return usageError(fmt.Errorf("%s is a folder; give --out a file name, e.g. %s", *out, filepath.Join(*out, exportName(*convID, *format))))
		}
	} else if *convID == 0 && isTerminal(os.Stdout) {
		return usageError(fmt.Errorf("everything is exported as a zip archive, which a terminal cannot show; pass --out %s (or redirect the output)", exportName(0, *format)))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	return withServices(ctx, func(svc *services) int {
		what := fmt.Sprintf("conversation %d", *convID)
		if *convID == 0 {
			what = "everything"
		}
		err := writeOut(*out, func(w io.Writer) error { return exportTo(ctx, svc, *convID, *format, w) })
		if err != nil {
			return fail(err)
		}
		if *out != "" {
			fmt.Fprintf(os.Stderr, "exported %s to %s\n", what, *out)
		}
		return 0
	})
}

// exportTo writes conversation id in format (md or json), or everything as
// an archive when id is 0.
func exportTo(ctx context.Context, svc *services, id int64, format string, w io.Writer) error {
	ex, err := exporter(ctx, svc)
	if err != nil {
		return err
	}
	switch {
	case id == 0:
		_, err = ex.Archive(ctx, w)
	case format == "json":
		err = ex.ConversationJSON(ctx, id, w)
	default:
		err = ex.ConversationMarkdown(ctx, id, w)
	}
	return err
}

// exporter records the generation settings in use with each conversation.
func exporter(ctx context.Context, svc *services) (transfer.Exporter, error) {
	set, err := chat.LoadSettings(ctx, svc.store)
	if err != nil {
		return transfer.Exporter{}, err
	}
	return transfer.Exporter{Store: svc.store, Settings: set}, nil
}

// writeOut runs write on the file at path (created, or replaced only once
// write succeeded) or on stdout when path is empty.
func writeOut(path string, write func(w io.Writer) error) error {
	if path == "" {
		return write(os.Stdout)
	}
	tmp, err := os.CreateTemp(dirOf(path), ".chapel-export-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// exportName is a file name for an export: the archive, or one conversation.
func exportName(convID int64, format string) string {
	if convID == 0 {
		return "chapel-export.zip"
	}
	return fmt.Sprintf("chapel-conversation-%d.%s", convID, format)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i+1]
		}
	}
	return "."
}

// cmdImport adds the conversations of an export file: chapel import [--home DIR] FILE.
// Ctrl+C stops it, and nothing is imported; on a terminal stderr shows how
// many conversations it has read.
func cmdImport(args []string) int {
	fl := flag.NewFlagSet("import", flag.ContinueOnError)
	home := fl.String("home", "", "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) != 1 {
		return usageError(fmt.Errorf("import needs one FILE"))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	ctx, stop := stopContext()
	defer stop()
	return withServices(ctx, func(svc *services) int {
		progress := newProgressLine()
		var opt transfer.Options
		if progress.tty {
			opt.Progress = func(read int) { progress.print(false, "importing: %s read", plural(read, "conversation")) }
		}
		res, err := transfer.ImportFileWith(ctx, svc.store, pos[0], opt)
		progress.done()
		if err != nil && (ctx.Err() != nil || apperr.CodeOf(err) == apperr.Canceled) {
			fmt.Fprintln(os.Stderr, "chapel: stopped; nothing was imported")
			return stoppedCode()
		}
		if err != nil {
			return fail(err)
		}
		fmt.Println(importSummary(res))
		return 0
	})
}

// importSummary says what an import added and what it skipped:
// "imported 2 conversations and 9 messages from ChatGPT (3 already here, skipped)".
func importSummary(res transfer.Result) string {
	s := "imported " + plural(res.Conversations, "conversation")
	if res.Conversations > 0 || res.Skipped == 0 {
		s += " and " + plural(res.Messages, "message")
	}
	s += " from " + res.Format
	if res.Skipped > 0 {
		s += fmt.Sprintf(" (%d already here, skipped)", res.Skipped)
	}
	return s
}
