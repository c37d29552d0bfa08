package app

import (
	"log/slog"
	"sync"
	"time"
)

// Closing the window. What the page still holds (an unsent message typed
// in the last moment, written once typing pauses) must reach the database
// before Chapel quits, so the first close is held: the page is told
// (closingEvent), writes what waits, says so (ReadyToClose), and Chapel
// quits then, or after closeWait if the page does not answer. SIGTERM (a
// desktop session ending) and Ctrl-C close the window this way too: Wails
// turns them into a Quit, which asks OnBeforeClose.

// closingEvent asks the page to write what it holds and call ReadyToClose.
const closingEvent = "app:closing"

// closeWait bounds how long a close waits for the page.
const closeWait = 1500 * time.Millisecond

// closeGate holds the window's first close until the page is ready.
type closeGate struct {
	mu       sync.Mutex
	held     bool
	once     sync.Once
	ready    chan struct{}
	patience time.Duration // how long a close waits for the page (closeWait)
}

func newCloseGate(patience time.Duration) *closeGate {
	return &closeGate{ready: make(chan struct{}), patience: patience}
}

// hold reports whether this close is to be held (the first one); every
// later close goes through.
func (g *closeGate) hold() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held {
		return false
	}
	g.held = true
	return true
}

// pageReady: the page has written what it held.
func (g *closeGate) pageReady() { g.once.Do(func() { close(g.ready) }) }

// wait returns once the page is ready (true) or after d (false).
func (g *closeGate) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-g.ready:
		return true
	case <-t.C:
		return false
	}
}

// beforeClose is the window's OnBeforeClose: true keeps the window open
// for now. The first close asks the page (emit) and quits once it is
// ready (quit, on its own goroutine: on Windows this runs on the thread
// that delivers the page's answer).
func (g *closeGate) beforeClose(emit func(), quit func(), log *slog.Logger) bool {
	if !g.hold() {
		return false
	}
	emit()
	go func() {
		if !g.wait(g.patience) {
			log.Warn("the page did not say it was ready to close; closing anyway", "waited", g.patience)
		}
		quit()
	}()
	return true
}

// ReadyToClose: the page has written what it held; the window may close.
func (a *App) ReadyToClose() {
	if a.closing != nil {
		a.closing.pageReady()
	}
}
