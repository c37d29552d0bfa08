package app

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// lastStop is the signal that stopped the command last (0: none yet).
var lastStop atomic.Int32

// stopContext is a context that Ctrl-C or SIGTERM cancels, as
// signal.NotifyContext's, remembering which came (stoppedCode). The
// returned stop lets the signals have their default effect again.
func stopContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			if n, ok := s.(syscall.Signal); ok {
				lastStop.Store(int32(n))
			}
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel()
	}
}

// stoppedCode is the exit status of a command a signal stopped, as shells
// report it: 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM).
func stoppedCode() int {
	if n := lastStop.Load(); n > 0 {
		return 128 + int(n)
	}
	return 128 + int(syscall.SIGINT)
}
