package app

import "github.com/chapelapp/chapel/backend/models"

// Settings per model: context, threads, system prompt, sampling and
// thinking, remembered by the model's path (backend/models/settings.go).

// GetModelSettings returns the settings of the model at path, with its
// defaults, trained context, the memory a context takes and the cores.
func (a *App) GetModelSettings(path string) (models.SettingsView, error) {
	return a.svc.models.Settings(a.ctx(), path)
}

// SaveModelSettings checks and saves the settings of the model at path; a
// loaded model whose context or threads changed reloads with them.
func (a *App) SaveModelSettings(path string, s models.Settings) (models.SettingsView, error) {
	return a.svc.models.SaveSettings(a.ctx(), path, s)
}

// ResetModelSettings forgets what was saved for the model at path (its
// defaults apply again), reloading it when its context or threads change.
func (a *App) ResetModelSettings(path string) (models.SettingsView, error) {
	return a.svc.models.ResetSettings(a.ctx(), path)
}
