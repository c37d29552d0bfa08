package app

import (
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/documents"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
)

// PickDocuments opens a file dialog for documents; empty when cancelled.
func (a *App) PickDocuments() ([]string, error) { return a.pickDocuments(a.ctx()) }

// IngestFiles starts adding files and folders to the documents; progress
// streams on the returned job's event name.
func (a *App) IngestFiles(paths []string) (ingest.Job, error) {
	return a.svc.ingest.Start(paths, a.svc.emit.Emit)
}

// CancelIngest stops adding the files of a job.
func (a *App) CancelIngest(job int64) error { return a.svc.ingest.Cancel(job) }

// ListDocuments lists the stored documents, newest first.
func (a *App) ListDocuments() ([]store.Document, error) { return a.svc.store.ListDocuments(a.ctx()) }

// GetDocument returns a document with its sections and summaries.
func (a *App) GetDocument(id int64) (documents.Detail, error) {
	return a.svc.documents.Detail(a.ctx(), id)
}

// DeleteDocument stops its summaries and deletes a document.
func (a *App) DeleteDocument(id int64) error { return a.svc.deleteDocument(a.ctx(), id) }

// SummarizeDocument starts (or resumes, or returns the finished) summary of
// a document in a style; progress streams on summary:progress:<id>.
func (a *App) SummarizeDocument(id int64, style string) (summarize.View, error) {
	return a.svc.summaries.Start(id, style, a.notes.watch(a.svc.emit.Emit)) // a long one ends with a notification
}

// StopSummary stops a document's summary; the pieces done are kept.
func (a *App) StopSummary(id int64) error { return a.svc.summaries.Stop(id) }

// GetPassage returns the text of chunks first..last of a document, which a
// citation points at.
func (a *App) GetPassage(documentID int64, first, last int) (documents.Passage, error) {
	return a.svc.documents.Passage(a.ctx(), documentID, first, last)
}

// AskDocument asks a question about a document in its conversation; the
// answer streams like a chat reply.
func (a *App) AskDocument(documentID int64, text string) (chat.SendResult, error) {
	return a.svc.chat.AskWithSettings(a.ctx(), documentID, text)
}

// IngestState returns where an ingest job is (the latest event of each
// file, then "finished"), for a window that subscribed after it began.
func (a *App) IngestState(job int64) ([]ingest.Event, error) { return a.svc.ingest.State(job) }

// GetCitedPassage returns the passage a citation marker in an answer
// stands for ("[p. 5]", "[§ Setup]", "[¶ 3]").
func (a *App) GetCitedPassage(documentID int64, marker string) (documents.Passage, error) {
	return a.svc.documents.PassageFor(a.ctx(), documentID, marker)
}
