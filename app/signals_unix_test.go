//go:build unix

package app

import (
	"syscall"
	"testing"
	"time"
)

// TestStoppedCode: a command stopped by a signal exits as shells report it,
// 128 + the signal's number; SIGTERM used to exit 130, Ctrl-C's status.
func TestStoppedCode(t *testing.T) {
	tests := []struct {
		sig  syscall.Signal
		want int
	}{
		{syscall.SIGINT, 130},
		{syscall.SIGTERM, 143},
	}
	for _, tt := range tests {
		t.Run(tt.sig.String(), func(t *testing.T) {
			ctx, stop := stopContext()
			defer stop()
			if err := syscall.Kill(syscall.Getpid(), tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the signal did not stop the context")
			}
			if got := stoppedCode(); got != tt.want {
				t.Errorf("stoppedCode() = %d, want %d", got, tt.want)
			}
		})
	}
}
