package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

// lockedBuffer is a log sink safe for the services' goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCloseWaitsForWriters: Chapel quits while a writer is still at work
// past its deadlines (an ingest job whose event listener holds it for 8 s,
// longer than the 5 s each service gets to stop and the grace after it,
// shortened to 1 s here). Quitting keeps its deadlines (it waited for the
// job forever), and the job, when it goes on, meets a store that refuses
// it cleanly: nothing writes to a closed database.
func TestCloseWaitsForWriters(t *testing.T) {
	old := writersGrace
	writersGrace = time.Second
	defer func() { writersGrace = old }()
	home := t.TempDir()
	t.Setenv(paths.EnvHome, home)
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	svc, err := openServices(context.Background(), log, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "late.md")
	if err := os.WriteFile(src, []byte("# Late\n\nA document saved while Chapel quits.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	held := make(chan struct{})
	var once sync.Once
	if _, err := svc.ingest.Start([]string{src}, func(name string, payload any) {
		if strings.HasPrefix(name, "documents:ingest:") {
			once.Do(func() { close(held); time.Sleep(8 * time.Second) })
		}
	}); err != nil {
		t.Fatal(err)
	}
	<-held
	start := time.Now()
	svc.close()
	took := time.Since(start)
	t.Logf("closing took %v", took.Round(time.Millisecond))
	if took > 7*time.Second {
		t.Errorf("closing took %v: it waited past its deadlines", took)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "documents job ended"); {
		if time.Now().After(deadline) {
			t.Fatalf("the job never ended:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(logs.String(), "database is closed") || strings.Contains(logs.String(), "panic") {
		t.Errorf("the late job wrote to the closed database:\n%s", logs.String())
	}
	st, err := store.Open(context.Background(), filepath.Join(home, paths.DatabaseName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.QuickCheck(context.Background()); err != nil {
		t.Error(err)
	}
}
