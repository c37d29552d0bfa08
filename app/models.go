package app

import "github.com/chapelapp/chapel/backend/models"

// ModelCatalog returns the model catalogue rated against this computer
// (memory, free disk), with the downloads running or left unfinished.
func (a *App) ModelCatalog() (models.CatalogView, error) { return a.svc.library.View() }

// StartDownload downloads catalogue model id into the models folder;
// progress streams on the returned event name (download:progress:<id>).
func (a *App) StartDownload(id string) (models.DownloadRef, error) { return a.svc.library.Start(id) }

// PauseDownload pauses a download; it resumes where it stopped.
func (a *App) PauseDownload(id string) error { return a.svc.library.Pause(id) }

// ResumeDownload resumes a paused download, or one an earlier run left.
func (a *App) ResumeDownload(id string) (models.DownloadRef, error) { return a.svc.library.Resume(id) }

// CancelDownload stops a download and deletes what it fetched.
func (a *App) CancelDownload(id string) error { return a.svc.library.Cancel(id) }
