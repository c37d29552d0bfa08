package app

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// The window's first close is held until the page has written what it
// holds, or until the gate's patience runs out, and closes meanwhile with
// it; once it has quit, closes go through.
func TestCloseGate(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name      string
		answers   bool // the page calls ReadyToClose
		wantReady bool // quit came from the page's answer, not the timeout
	}{
		{"the page answers", true, true},
		{"the page never answers", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patience := time.Hour
			if !tt.answers {
				patience = 10 * time.Millisecond
			}
			g := newCloseGate(patience)
			a := &App{closing: g}
			var emitted atomic.Int32
			quit := make(chan bool, 2)
			answer := make(chan struct{})
			held := g.beforeClose(func() {
				emitted.Add(1)
				if tt.answers {
					go func() { <-answer; a.ReadyToClose() }()
				}
			}, func() {
				select {
				case <-g.ready:
					quit <- true
				default:
					quit <- false
				}
			}, quiet)
			if !held {
				t.Fatal("the first close was not held")
			}
			// A second click while the page is asked (it has not answered:
			// answer is still shut) waits with the first.
			if tt.answers && !g.beforeClose(func() { emitted.Add(1) }, func() { quit <- true }, quiet) {
				t.Error("a close while the page was being waited for went through")
			}
			close(answer)
			select {
			case fromPage := <-quit:
				if fromPage != tt.wantReady {
					t.Errorf("quit after the page was ready = %v, want %v", fromPage, tt.wantReady)
				}
			case <-time.After(time.Minute):
				t.Fatal("the held close never quit")
			}
			// The quit closes the window again: that close goes through, and the page was asked once.
			if g.beforeClose(func() { emitted.Add(1) }, func() { quit <- true }, quiet) {
				t.Error("the second close was held")
			}
			if n := emitted.Load(); n != 1 {
				t.Errorf("the page was asked %d times, want 1", n)
			}
			a.ReadyToClose() // a late or repeated answer is harmless
		})
	}
}

// On the command line there is no window: ReadyToClose does nothing.
func TestReadyToCloseWithoutWindow(t *testing.T) {
	(&App{}).ReadyToClose()
}
