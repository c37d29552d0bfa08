package app

import "github.com/chapelapp/chapel/backend/summarize"

// SummarizeAgain runs a document's summary in a style again with the model
// loaded now. With force every piece is made anew; without, pieces saved
// for this style and model are reused (and a complete summary comes back
// as it is). The text made before stays until the new one completes;
// progress streams on summary:progress:<id>, pieces on summary:piece:<id>.
func (a *App) SummarizeAgain(id int64, style string, force bool) (summarize.View, error) {
	req := summarize.Request{DocumentID: id, Style: style, Force: force}
	return a.svc.summaries.StartRequest(req, a.notes.watch(a.svc.emit.Emit)) // a long one ends with a notification
}

// GetSummaryOutline returns a summary's map pieces in document order: those
// done (their text, citations and engine), those being made and those to
// come, with what each engine did.
func (a *App) GetSummaryOutline(summaryID int64) (summarize.Outline, error) {
	return a.svc.summaries.Outline(a.ctx(), summaryID)
}
