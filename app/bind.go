package app

import (
	"context"

	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/models"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

// App is bound to the frontend: each method makes one backend call. Errors
// reach the frontend as {code, message} through the window's ErrorFormatter.
type App struct {
	svc     *services
	version string
	dialog  func(ctx context.Context) (string, error) // the native file dialog
	// pickDocuments is the native dialog for documents (several at once).
	pickDocuments func(ctx context.Context) ([]string, error)
	ctx           func() context.Context // the window's context, set at startup
	opened        openedFiles            // files to open: arguments, a second launch's arguments
	boot          *bootState             // set when the window started without its database (startup.go)
	// windowCtx is the window's context once it has started (nil on the command line).
	windowCtx func() (context.Context, bool)
	// closing holds the window's first close until the page has written what it holds (window_close.go); nil on the command line.
	closing *closeGate
	notes   *summaryNotes // notifies the end of long summaries (notify.go); nil on the command line
}

// Info describes this installation.
type Info struct {
	Version   string `json:"version"`
	DataDir   string `json:"data_dir"`
	ModelsDir string `json:"models_dir"`
}

// AppInfo returns the version and where data lives.
func (a *App) AppInfo() Info {
	dir, _ := paths.ModelsDir()
	return Info{Version: a.version, DataDir: a.svc.home, ModelsDir: dir}
}

// ModelState returns the model state (none, loading, ready, error).
func (a *App) ModelState() models.State { return a.svc.models.State() }

// ListModels lists the .gguf files found in the models folders and in
// other apps' stores (Ollama, LM Studio, …), each described from its header.
func (a *App) ListModels() ([]models.Entry, error) {
	return models.List(a.ctx(), a.svc.modelDirs(), models.OtherStores(models.CurrentEnv()))
}

// ChooseModelFile opens a file dialog for a .gguf file; "" when cancelled.
func (a *App) ChooseModelFile() (string, error) { return a.dialog(a.ctx()) }

// LoadModel loads the model at path and remembers the choice.
func (a *App) LoadModel(path string) (engine.ModelInfo, error) {
	return a.svc.models.Load(a.ctx(), path)
}

// ListConversations lists conversations, most recent first.
func (a *App) ListConversations() ([]store.Conversation, error) {
	return a.svc.store.ListConversations(a.ctx())
}

// CreateConversation starts an empty conversation.
func (a *App) CreateConversation() (store.Conversation, error) {
	return a.svc.store.CreateConversation(a.ctx(), store.DefaultTitle, "")
}

// GetConversation returns a conversation with its messages.
func (a *App) GetConversation(id int64) (store.ConversationDetail, error) {
	return a.svc.store.ConversationDetail(a.ctx(), id)
}

// RenameConversation renames a conversation.
func (a *App) RenameConversation(id int64, title string) error {
	_, err := a.svc.store.RenameConversation(a.ctx(), id, title)
	return err
}

// SetInstructions gives conversation id its own instructions (its system
// prompt, in place of Settings'); an empty text removes them.
func (a *App) SetInstructions(id int64, text string) (store.Conversation, error) {
	return a.svc.store.SetInstructions(a.ctx(), id, text)
}

// SaveDraft keeps the unsent text of conversation id's message box (0: the
// box with no conversation open); an empty text forgets it.
func (a *App) SaveDraft(id int64, text string) error {
	return a.svc.store.SaveDraft(a.ctx(), id, text)
}

// Drafts returns every unsent draft, for the message box to bring back.
func (a *App) Drafts() ([]store.Draft, error) {
	return a.svc.store.Drafts(a.ctx())
}

// DeleteConversation deletes a conversation and its messages.
func (a *App) DeleteConversation(id int64) error {
	return a.svc.chat.Delete(a.ctx(), id)
}

// SendMessage saves text in conversation id (0 starts a new one) and starts
// the reply, which streams on the returned event name.
func (a *App) SendMessage(conversationID int64, text string) (chat.SendResult, error) {
	return a.svc.chat.SendWithSettings(a.ctx(), conversationID, text)
}

// StopGeneration stops the reply being written in a conversation.
func (a *App) StopGeneration(conversationID int64) error {
	return a.svc.chat.Stop(a.ctx(), conversationID)
}

// ActiveReply returns the reply being written in a conversation, if any, so
// a view opened mid-stream can catch up.
func (a *App) ActiveReply(conversationID int64) (*chat.Active, error) {
	r, ok := a.svc.chat.ActiveReply(conversationID)
	if !ok {
		return nil, nil
	}
	return &r, nil
}

// GetSettings returns the generation settings.
func (a *App) GetSettings() (chat.Settings, error) { return chat.LoadSettings(a.ctx(), a.svc.store) }

// SaveSettings checks and saves the generation settings.
func (a *App) SaveSettings(s chat.Settings) (chat.Settings, error) {
	return chat.SaveSettings(a.ctx(), a.svc.store, s)
}
