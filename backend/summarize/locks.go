package summarize

// Summaries across processes: the window, a `chapel summarize` and a
// `chapel serve` share a data folder, so a run holds its summary's lock
// file, and a summary the database says is running is told apart as made
// elsewhere (the lock is held) or left by a process that ended (it is not).

import (
	"context"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// RunLocks keep a summary to one process at a time: the window, a
// `chapel summarize` and a `chapel serve` share a data folder, and each
// would otherwise make the same summary alongside the other, every step
// twice. TryLock takes summary id's lock without waiting; ok is false
// while another live process holds it. A lock goes with its process, also
// when that is killed.
type RunLocks interface {
	TryLock(summaryID int64) (release func(), ok bool, err error)
}

// SetRunLocks makes each run hold its summary's cross-process lock.
// Call it before the first summary.
func (s *Service) SetRunLocks(l RunLocks) { s.locks = l }

// ErrElsewhere refuses a summary that another Chapel process is making.
var ErrElsewhere error = apperr.New(apperr.Conflict,
	"This summary is being made in another Chapel window or command; summarise again once that has finished")

// lockTries is how often a run asks for a lock another process holds: a
// window reading the document holds a summary's lock for a moment to
// learn whether anyone is making it (List), and that is no reason to refuse.
const lockTries = 3

// tryLock takes summary id's cross-process lock; ok is false when another
// process holds it.
func (s *Service) tryLock(id int64) (release func(), ok bool, err error) {
	if s.locks == nil {
		return func() {}, true, nil
	}
	for i := range lockTries {
		if i > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		if release, ok, err = s.locks.TryLock(id); err != nil || ok {
			return release, ok, err
		}
	}
	return nil, false, nil
}

// RecoverAbandoned records as stopped the summaries left running by a
// process that ended without finishing them (killed, a crash, a full
// disk), so that they show Resume; a summary another live process is
// making keeps running (its lock says so). It returns how many it stopped.
func (s *Service) RecoverAbandoned(ctx context.Context) (int, error) {
	sums, err := s.st.RunningSummaries(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sum := range sums {
		if s.locks == nil && s.liveOf(sum.ID) == nil {
			// No other process can be told apart: as at every start before locks, it was left.
			if err := s.st.AbandonSummary(ctx, sum.ID, sum.UpdatedAt); err != nil {
				return n, err
			}
			n++
			continue
		}
		after, err := s.settle(ctx, sum)
		if err != nil {
			return n, err
		}
		if after.Status != StatusRunning {
			n++
		}
	}
	return n, nil
}

// settle looks at a summary the database says is running that this
// process is not making. While another process makes it (it holds the
// lock), it stays running (List reports it Elsewhere). When none does, the
// process that made it ended without saying so (killed, or a crash):
// it is recorded as stopped, its pieces kept, to resume like any other.
// The lock is held only to look: a run about to take it (its row made, the
// lock not yet taken) waits a few milliseconds at most, never for this
// write, which may wait for the database. A run that took the lock
// meanwhile has reopened the summary (or will), which the write respects.
func (s *Service) settle(ctx context.Context, sum store.Summary) (store.Summary, error) {
	if s.locks == nil || s.liveOf(sum.ID) != nil {
		return sum, nil
	}
	release, ok, err := s.locks.TryLock(sum.ID)
	if err != nil {
		s.log.Warn("could not tell whether another Chapel makes a summary", "summary", sum.ID, "err", err)
		return sum, nil
	}
	if !ok {
		return sum, nil
	}
	here := s.liveOf(sum.ID) != nil
	release()
	if here {
		return sum, nil
	}
	if err := s.st.AbandonSummary(ctx, sum.ID, sum.UpdatedAt); err != nil {
		return sum, err
	}
	return s.st.GetSummary(ctx, sum.ID)
}
