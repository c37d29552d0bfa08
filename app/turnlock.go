package app

import (
	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/paths"
)

// turnLocks are the per-conversation lock files in the data folder's
// locks/ (backend/paths): a reply holds its conversation's lock, so two
// Chapel processes never add turns to one conversation at once.
type turnLocks struct{ home string }

func (l turnLocks) TryLock(conversationID int64) (func(), error) {
	release, ok, err := paths.TryLockConversation(l.home, conversationID)
	switch {
	case err != nil:
		return nil, apperr.Wrap(apperr.Unavailable, err, "could not lock the conversation")
	case !ok:
		return nil, apperr.New(apperr.Conflict, "This conversation is answering in another Chapel window or command; wait for that reply to finish")
	}
	return release, nil
}

// summaryLocks are the per-summary lock files beside them: a run holds its
// summary's lock, so two Chapel processes never make one summary at once.
type summaryLocks struct{ home string }

func (l summaryLocks) TryLock(summaryID int64) (func(), bool, error) {
	return paths.TryLockSummary(l.home, summaryID)
}
