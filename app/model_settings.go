package app

import (
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/models"
)

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

// SavedSettings is what SaveAllSettings saved: every model's settings and,
// when a model was named, its own.
type SavedSettings struct {
	Settings chat.Settings       `json:"settings"`
	Model    models.SettingsView `json:"model"`
}

// SaveAllSettings saves the settings panel at once: every model's settings
// and, when path is not "", the model's own; or neither, naming every wrong
// field of both (the model's as "model.<field>").
func (a *App) SaveAllSettings(global chat.Settings, path string, s models.Settings) (SavedSettings, error) {
	g, v, err := a.svc.models.SaveBoth(a.ctx(), global, path, s)
	return SavedSettings{Settings: g, Model: v}, err
}

// ResetModelSettings forgets what was saved for the model at path (its
// defaults apply again), reloading it when its context or threads change.
func (a *App) ResetModelSettings(path string) (models.SettingsView, error) {
	return a.svc.models.ResetSettings(a.ctx(), path)
}
