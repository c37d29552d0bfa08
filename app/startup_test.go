package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

// damagedHome makes a data folder whose chapel.db holds conversations and
// has pages in its middle overwritten; it returns the folder and the
// database's bytes after the damage.
func damagedHome(t *testing.T) (string, []byte) {
	t.Helper()
	home := t.TempDir()
	t.Setenv(paths.EnvHome, home)
	ctx := context.Background()
	dbPath := filepath.Join(home, "chapel.db")
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		c, err := st.CreateConversation(ctx, fmt.Sprintf("Trip %d", i), "")
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 3; j++ {
			if _, err := st.AddMessage(ctx, store.Message{ConversationID: c.ID, Role: "user", Status: store.StatusComplete,
				Content: strings.Repeat(fmt.Sprintf("day %d of trip %d by the sea. ", j, i), 14)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	st.Close()
	b, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	rng := rand.New(rand.NewPCG(3, 5))
	for p := len(b) / page / 2; p < len(b)/page/2+10; p++ {
		for i := p * page; i < (p+1)*page; i++ {
			b[i] = byte(rng.Uint32())
		}
	}
	if err := os.WriteFile(dbPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return home, b
}

var copyName = regexp.MustCompile(`^chapel-damaged-\d{8}-\d{6}\.db$`)

// startDamaged opens the services the way the window does and returns the
// App the window binds when they fail on the damaged database.
func startDamaged(t *testing.T) *App {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, boot, err := openWindowServices(context.Background(), log, nopEmitter{})
	if svc != nil {
		svc.close()
		t.Fatal("the services opened on a damaged database")
	}
	if boot == nil {
		t.Fatalf("the error is not recognised as a damaged database: %v", err)
	}
	a := &App{boot: boot, ctx: context.Background}
	t.Cleanup(func() {
		if a.svc != nil {
			a.svc.close()
		}
	})
	return a
}

func TestDamagedDatabaseRecover(t *testing.T) {
	home, damaged := damagedHome(t)
	a := startDamaged(t)
	s := a.StartupState()
	if s.State != startupDamaged || !strings.Contains(s.Message, "damaged") || s.Database != filepath.Join(home, "chapel.db") {
		t.Fatalf("StartupState = %+v", s)
	}
	res, err := a.RecoverDatabase()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", res.Message)
	if a.svc == nil || a.StartupState().State != startupReady {
		t.Fatal("the services did not start after the recovery")
	}
	if !copyName.MatchString(filepath.Base(res.Copy)) || filepath.Dir(res.Copy) != home {
		t.Errorf("copy %s: want %s/chapel-damaged-YYYYMMDD-HHMMSS.db", res.Copy, home)
	}
	if b, err := os.ReadFile(res.Copy); err != nil || !bytes.Equal(b, damaged) {
		t.Errorf("the copy kept is not the damaged file as it was (%v)", err)
	}
	list, err := a.ListConversations()
	if err != nil {
		t.Fatal(err)
	}
	if res.Salvage == nil || len(list) != res.Salvage.Conversations || len(list) == 0 || res.Salvage.Messages == 0 {
		t.Fatalf("%d conversations listed; report %+v", len(list), res.Salvage)
	}
	if !strings.Contains(res.Message, fmt.Sprintf("%d conversations", len(list))) {
		t.Errorf("message %q does not say how many conversations were saved", res.Message)
	}
	// Every message saved belongs to a conversation that was saved.
	for _, c := range list {
		d, err := a.GetConversation(c.ID)
		if err != nil {
			t.Fatalf("conversation %d: %v", c.ID, err)
		}
		for _, m := range d.Messages {
			if !strings.Contains(m.Content, "by the sea") {
				t.Errorf("message %d: %q", m.ID, m.Content)
			}
		}
	}
	if _, err := a.StartFresh(); err == nil {
		t.Error("a second repair was accepted")
	}
}

func TestDamagedDatabaseStartFresh(t *testing.T) {
	home, damaged := damagedHome(t)
	a := startDamaged(t)
	res, err := a.StartFresh()
	if err != nil {
		t.Fatal(err)
	}
	if !copyName.MatchString(filepath.Base(res.Copy)) || filepath.Dir(res.Copy) != home || res.Salvage != nil {
		t.Errorf("result %+v", res)
	}
	if b, err := os.ReadFile(res.Copy); err != nil || !bytes.Equal(b, damaged) {
		t.Errorf("the copy kept is not the damaged file (%v)", err)
	}
	if list, err := a.ListConversations(); err != nil || len(list) != 0 {
		t.Errorf("fresh database: %d conversations, %v", len(list), err)
	}
	if s := a.StartupState(); s.State != startupReady {
		t.Errorf("StartupState after the repair = %+v", s)
	}
}

// A window started on a sound database is ready at once.
func TestStartupStateReady(t *testing.T) {
	t.Setenv(paths.EnvHome, t.TempDir())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, boot, err := openWindowServices(context.Background(), log, nopEmitter{})
	if err != nil || svc == nil || boot != nil {
		t.Fatalf("services %v, boot %v, err %v", svc, boot, err)
	}
	defer svc.close()
	if s := (&App{svc: svc}).StartupState(); s.State != startupReady {
		t.Errorf("StartupState = %+v", s)
	}
}
