package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// damagedDatabase writes a database of conversations, closes it and
// overwrites pages in its middle with random bytes. It returns the path and
// the conversations' titles by id.
func damagedDatabase(t *testing.T, conversations int) (string, map[int64]string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chapel.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	titles := map[int64]string{}
	for i := 0; i < conversations; i++ {
		c, err := st.CreateConversation(ctx, fmt.Sprintf("Conversation %d about barley", i), "")
		if err != nil {
			t.Fatal(err)
		}
		titles[c.ID] = c.Title
		for j := 0; j < 3; j++ {
			if _, err := st.AddMessage(ctx, Message{ConversationID: c.ID, Role: "user", Status: StatusComplete,
				Content: strings.Repeat(fmt.Sprintf("message %d of %d, sheep and rivers. ", j, i), 12)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	corruptPages(t, path, 0.45, 12)
	return path, titles
}

// corruptPages overwrites n pages from the given fraction of the file on.
func corruptPages(t *testing.T, path string, at float64, n int) {
	t.Helper()
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatalf("%s-wal is left after close: the pages to damage are not all in the file", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	const page = 4096
	pages := fi.Size() / page
	if pages < 40 {
		t.Fatalf("only %d pages", pages)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	junk := make([]byte, page*n)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	if _, err := f.WriteAt(junk, int64(float64(pages)*at)*page); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedDatabaseIsRecognised(t *testing.T) {
	path, _ := damagedDatabase(t, 300)
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow("SELECT count(*) FROM messages WHERE content LIKE '%river%'").Scan(&n)
	if err == nil {
		err = db.QueryRow("SELECT count(*) FROM conversations WHERE title LIKE '%barley%'").Scan(&n)
	}
	if !IsDamaged(err) {
		t.Fatalf("reading the damaged file: %v; want a corruption error", err)
	}
	st := &Store{db: db, path: path}
	if err := st.QuickCheck(context.Background()); !IsDamaged(err) {
		t.Errorf("QuickCheck of the damaged file: %v", err)
	}
	if IsDamaged(errors.New("disk full")) || IsDamaged(nil) {
		t.Error("IsDamaged is true for other errors")
	}
}

// Salvage copies every conversation that can still be read into a new,
// sound database, with its messages, and drops messages whose conversation
// was lost.
func TestSalvage(t *testing.T) {
	ctx := context.Background()
	src, titles := damagedDatabase(t, 300)
	dst := filepath.Join(t.TempDir(), "recovered.db")
	start := time.Now()
	rep, err := Salvage(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("salvage in %v: %+v", time.Since(start).Round(time.Millisecond), rep)

	// What a direct read of the damaged file still gives, one row at a time.
	old, err := sql.Open("sqlite3", "file:"+src+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	readable := 0
	st, err := Open(ctx, dst)
	if err != nil {
		t.Fatalf("the recovered database does not open: %v", err)
	}
	defer st.Close()
	for id, title := range titles {
		var got string
		if old.QueryRow("SELECT title FROM conversations WHERE id = ?", id).Scan(&got) != nil {
			continue
		}
		readable++
		c, err := st.GetConversation(ctx, id)
		if err != nil || c.Title != title {
			t.Errorf("conversation %d (readable in the damaged file): %+v, %v", id, c, err)
		}
	}
	if readable == 0 || rep.Conversations < readable || rep.Conversations > len(titles) {
		t.Errorf("%d conversations saved, %d readable, %d written", rep.Conversations, readable, len(titles))
	}
	if rep.Messages == 0 || rep.Rows < rep.Conversations+rep.Messages {
		t.Errorf("report %+v", rep)
	}
	var check string
	if err := st.db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
	if err := st.QuickCheck(ctx); err != nil {
		t.Errorf("QuickCheck of the recovered database: %v", err)
	}
	var orphans int
	if err := st.db.QueryRow("SELECT count(*) FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)").Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("%d messages without a conversation (%v)", orphans, err)
	}
	// The full-text index was rebuilt from the saved messages.
	var hits int
	if err := st.db.QueryRow("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'rivers'").Scan(&hits); err != nil || hits != rep.Messages {
		t.Errorf("%d messages found by full-text search of %d saved (%v)", hits, rep.Messages, err)
	}
	if _, err := Salvage(ctx, src, dst); err == nil {
		t.Error("Salvage overwrote an existing file")
	}
}

func TestSetAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chapel.db")
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.WriteFile(f, []byte(filepath.Base(f)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 12, 1, 22, 15, 4, 0, time.UTC)
	aside, err := SetAside(path, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "chapel-damaged-20261201-221504.db"); aside != want {
		t.Errorf("aside = %s, want %s", aside, want)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(aside + suffix); err != nil || string(b) != "chapel.db"+suffix {
			t.Errorf("%s: %q, %v", aside+suffix, b, err)
		}
		if _, err := os.Stat(path + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there", path+suffix)
		}
	}
	// A second copy in the same second gets its own name.
	os.WriteFile(path, []byte("again"), 0o600)
	if again, err := SetAside(path, now); err != nil || again == aside {
		t.Errorf("second copy: %s, %v", again, err)
	}
}
