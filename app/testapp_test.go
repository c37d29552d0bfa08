package app

import (
	"context"
	"log/slog"
	"testing"

	"github.com/chapelapp/chapel/backend/paths"
)

// newTestApp opens the window's services on a fresh data folder, with this
// test binary as the engine worker on one thread, and returns the App the
// window would bind. The services close when the test ends.
func newTestApp(t *testing.T) (*App, context.Context) {
	t.Helper()
	t.Setenv(paths.EnvHome, t.TempDir())
	t.Setenv("CHAPEL_TEST_MAIN", "1") // the engine worker is this test binary
	t.Setenv("CHAPEL_THREADS", "1")
	ctx := context.Background()
	svc, err := openServices(ctx, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.close)
	return &App{svc: svc, ctx: func() context.Context { return ctx }}, ctx
}
