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

// closeGate holds the window's closes until the page is ready.
type closeGate struct {
	mu       sync.Mutex
	state    gateState
	once     sync.Once
	ready    chan struct{}
	patience time.Duration // how long a close waits for the page (closeWait)
}

type gateState int

const (
	gateOpen     gateState = iota // no close asked for yet
	gateHolding                   // the page was asked; closes wait
	gateReleased                  // the page answered or the wait ran out: closes go through
)

func newCloseGate(patience time.Duration) *closeGate {
	return &closeGate{ready: make(chan struct{}), patience: patience}
}

// hold reports whether this close is to be held, and whether it is the
// first (the one that asks the page). A close while the page is being
// waited for (a second click on the close button) is held too: letting it
// through would close before the page has written what it holds.
func (g *closeGate) hold() (held, first bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.state {
	case gateOpen:
		g.state = gateHolding
		return true, true
	case gateHolding:
		return true, false
	}
	return false, false
}

func (g *closeGate) release() {
	g.mu.Lock()
	g.state = gateReleased
	g.mu.Unlock()
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
// that delivers the page's answer); closes meanwhile wait with it.
func (g *closeGate) beforeClose(emit func(), quit func(), log *slog.Logger) bool {
	held, first := g.hold()
	if !first {
		return held
	}
	emit()
	go func() {
		if !g.wait(g.patience) {
			log.Warn("the page did not say it was ready to close; closing anyway", "waited", g.patience)
		}
		g.release()
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
