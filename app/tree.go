package app

import (
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/store"
)

// The window's methods for a conversation's tree of versions and search.

// RegenerateMessage writes a new version of a reply (or a reply to a
// question that has none) with the saved settings; it streams like
// SendMessage.
func (a *App) RegenerateMessage(messageID int64) (chat.SendResult, error) {
	opts, err := a.svc.chat.SavedOptions(a.ctx())
	if err != nil {
		return chat.SendResult{}, err
	}
	return a.svc.chat.Regenerate(a.ctx(), messageID, opts)
}

// EditMessage saves text as a new version of a question and writes its reply.
func (a *App) EditMessage(messageID int64, text string) (chat.SendResult, error) {
	opts, err := a.svc.chat.SavedOptions(a.ctx())
	if err != nil {
		return chat.SendResult{}, err
	}
	return a.svc.chat.Edit(a.ctx(), messageID, text, opts)
}

// ContinueMessage appends to a reply that stopped at its token limit.
func (a *App) ContinueMessage(messageID int64) (chat.SendResult, error) {
	opts, err := a.svc.chat.SavedOptions(a.ctx())
	if err != nil {
		return chat.SendResult{}, err
	}
	return a.svc.chat.Continue(a.ctx(), messageID, opts)
}

// SwitchVersion shows the branch through a message.
func (a *App) SwitchVersion(messageID int64) (store.ConversationDetail, error) {
	return a.svc.chat.SwitchVersion(a.ctx(), messageID)
}

// DeleteMessage deletes a message and the messages below it.
func (a *App) DeleteMessage(messageID int64) (store.ConversationDetail, error) {
	return a.svc.chat.DeleteMessage(a.ctx(), messageID)
}

// PinConversation pins a conversation to the top of the list, or unpins it.
func (a *App) PinConversation(id int64, pinned bool) (store.Conversation, error) {
	return a.svc.store.SetPinned(a.ctx(), id, pinned)
}

// Search finds messages and document passages.
func (a *App) Search(query string) (store.SearchResults, error) {
	return a.svc.store.Search(a.ctx(), query, searchLimit)
}

// searchLimit is how many hits of each kind a search returns.
const searchLimit = 30
