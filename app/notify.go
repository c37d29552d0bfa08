package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
)

// A summary that runs long ends with a desktop notification (the user has
// gone elsewhere by then), unless Settings → Appearance turns them off. The
// notification goes to the system's own service (desktopNotifier, one per
// OS in notify_<os>.go); nothing leaves the computer.

// notifier shows one desktop notification.
type notifier interface {
	Notify(ctx context.Context, title, body string) error
}

// longSummary is how long a summary must have run for its end to be
// notified: a shorter one finishes while the user still watches.
const longSummary = 20 * time.Second

// notifyBudget bounds one notification (the service answers at once).
const notifyBudget = 5 * time.Second

// summaryNotes notifies the end of long summaries. A nil *summaryNotes
// (the command line, tests of other things) notifies nothing.
type summaryNotes struct {
	note  notifier
	store func() *store.Store // the open database; nil on the damaged database's screen
	log   *slog.Logger
	long  time.Duration
	now   func() time.Time
	wg    sync.WaitGroup // notifications under way
}

func newSummaryNotes(note notifier, st func() *store.Store, log *slog.Logger) *summaryNotes {
	return &summaryNotes{note: note, store: st, log: log, long: longSummary, now: time.Now}
}

// watch wraps the emit of a summary that starts now: its final event, when
// the summary ran long and ended with a text, shows a notification.
func (n *summaryNotes) watch(emit func(name string, payload any)) func(name string, payload any) {
	if n == nil {
		return emit
	}
	start := n.now()
	var once sync.Once
	return func(name string, payload any) {
		emit(name, payload)
		p, ok := payload.(summarize.Progress)
		if !ok || !notable(p.Status) || n.now().Sub(start) < n.long {
			return
		}
		once.Do(func() {
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.notify(p)
			}()
		})
	}
}

// notable: the summary ended on its own (the user did not stop it).
func notable(status string) bool {
	return status == summarize.StatusComplete || status == summarize.StatusPartial || status == summarize.StatusFailed
}

// notify shows that the summary of p ended, when the user wants to know.
func (n *summaryNotes) notify(p summarize.Progress) {
	ctx, cancel := context.WithTimeout(context.Background(), notifyBudget)
	defer cancel()
	st := n.store()
	if st == nil {
		return
	}
	if !storedAppearance(ctx, st).NotifySummaries {
		return
	}
	name := "a document"
	if doc, err := st.GetDocument(ctx, p.DocumentID); err == nil {
		name = doc.Title
		if name == "" {
			name = doc.Name
		}
	}
	title, body := summaryMessage(name, p)
	if err := n.note.Notify(ctx, title, body); err != nil {
		n.log.Warn("no desktop notification for the finished summary", "document", p.DocumentID, "err", err)
	}
}

// summaryMessage is the notification's title and body.
func summaryMessage(name string, p summarize.Progress) (title, body string) {
	coverage := ""
	if p.View != nil {
		coverage = p.View.Coverage
	}
	switch p.Status {
	case summarize.StatusFailed:
		title = fmt.Sprintf("The summary of “%s” could not finish", name)
		body = "Open it in Chapel to see why; the parts already summarised are kept."
	case summarize.StatusPartial:
		title = fmt.Sprintf("“%s” is summarised, with gaps", name)
		body = "Some parts could not be summarised. " + coverage
	default:
		title = fmt.Sprintf("“%s” is summarised", name)
		body = coverage
	}
	return title, body
}

// wait returns when the notifications under way have been shown.
func (n *summaryNotes) wait() {
	if n != nil {
		n.wg.Wait()
	}
}
