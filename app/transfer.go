package app

import (
	"io"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/transfer"
)

// The window's export and import: the native dialogs pick the file, the
// ...To and ImportPath methods do the work (the browser test calls those).

// ExportConversation asks where to save conversation id as format (md or
// json) and saves it; "" when the dialog was cancelled.
func (a *App) ExportConversation(id int64, format string) (string, error) {
	ext, name := ".md", "Markdown (*.md)"
	if format == "json" {
		ext, name = ".json", "Chapel JSON (*.json)"
	}
	c, err := a.svc.store.GetConversation(a.ctx(), id)
	if err != nil {
		return "", err
	}
	path, err := runtime.SaveFileDialog(a.ctx(), runtime.SaveDialogOptions{
		Title: "Export the conversation", DefaultFilename: fileTitle(c.Title) + ext,
		Filters: []runtime.FileFilter{{DisplayName: name, Pattern: "*" + ext}},
	})
	if err != nil || path == "" {
		return "", err
	}
	return path, a.ExportConversationTo(id, format, path)
}

// ExportConversationTo saves conversation id as format (md or json) at path.
func (a *App) ExportConversationTo(id int64, format, path string) error {
	return writeOut(path, func(w io.Writer) error { return exportTo(a.ctx(), a.svc, id, format, w) })
}

// ExportAll asks where to save everything as a zip archive and saves it.
func (a *App) ExportAll() (string, error) {
	path, err := runtime.SaveFileDialog(a.ctx(), runtime.SaveDialogOptions{
		Title: "Export everything", DefaultFilename: "chapel-export.zip",
		Filters: []runtime.FileFilter{{DisplayName: "Zip archive (*.zip)", Pattern: "*.zip"}},
	})
	if err != nil || path == "" {
		return "", err
	}
	return path, a.ExportAllTo(path)
}

// ExportAllTo saves everything as a zip archive at path.
func (a *App) ExportAllTo(path string) error {
	return writeOut(path, func(w io.Writer) error { return exportTo(a.ctx(), a.svc, 0, "", w) })
}

// ExportSummary asks where to save a document's summary as Markdown and saves it.
func (a *App) ExportSummary(summaryID int64) (string, error) {
	path, err := runtime.SaveFileDialog(a.ctx(), runtime.SaveDialogOptions{
		Title: "Export the summary", DefaultFilename: "summary.md",
		Filters: []runtime.FileFilter{{DisplayName: "Markdown (*.md)", Pattern: "*.md"}},
	})
	if err != nil || path == "" {
		return "", err
	}
	return path, writeOut(path, func(w io.Writer) error {
		return transfer.Exporter{Store: a.svc.store}.SummaryMarkdown(a.ctx(), summaryID, w)
	})
}

// ImportChooseFile asks for an export file (Chapel, ChatGPT, Claude, Open WebUI)
// and imports it; nil when the dialog was cancelled.
func (a *App) ImportChooseFile() (*transfer.Result, error) {
	path, err := runtime.OpenFileDialog(a.ctx(), runtime.OpenDialogOptions{
		Title: "Import conversations",
		Filters: []runtime.FileFilter{
			{DisplayName: "Exports (*.json, *.zip)", Pattern: "*.json;*.zip"},
			{DisplayName: "All files", Pattern: "*"},
		},
	})
	if err != nil || path == "" {
		return nil, err
	}
	return a.ImportPath(path)
}

// ImportPath imports the export file at path, all or nothing; the result
// counts the conversations already here (imported before) it skipped.
func (a *App) ImportPath(path string) (*transfer.Result, error) {
	res, err := transfer.ImportFile(a.ctx(), a.svc.store, path)
	if err != nil {
		return nil, err
	}
	if res.Conversations > 0 {
		a.svc.emit.Emit(chat.EventConversationsChanged, nil)
	}
	return &res, nil
}

// fileTitle makes a file name from a conversation title.
func fileTitle(title string) string {
	out := []rune{}
	for _, r := range title {
		switch {
		case r == '/' || r == '\\' || r == ':' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|' || r < ' ':
			out = append(out, '-')
		default:
			out = append(out, r)
		}
		if len(out) >= 80 {
			break
		}
	}
	if len(out) == 0 {
		return "conversation"
	}
	return string(out)
}
