//go:build linux

package ingest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/testdisk"
)

// words is n bytes of text that does not compress to nothing.
func words(r *rand.Rand, n int) string {
	vocab := strings.Fields("the keeper climbed ninety nine steps every evening storms came from north west log book entries grew shorter sea calm last ship light")
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(vocab[r.IntN(len(vocab))])
		if r.IntN(12) == 0 {
			b.WriteString(".\n\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// TestDeleteOnFullDisk: on a disk Chapel's own documents filled to the
// last byte, saving anything fails with "the disk is full", and deleting a
// conversation and a document still works (the store gives up its reserve
// for it), leaving a sound database; once there is room the reserve comes
// back.
func TestDeleteOnFullDisk(t *testing.T) {
	disk := testdisk.Small(t, 40<<20)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(disk, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := New(st, filepath.Join(disk, "documents"), nil)
	defer svc.Close()
	in := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))

	conv, err := st.CreateConversation(ctx, "A long talk", "")
	if err != nil {
		t.Fatal(err)
	}
	for range 40 {
		if _, err := st.AddMessage(ctx, store.Message{ConversationID: conv.ID, Role: "user", Content: words(r, 20<<10)}); err != nil {
			t.Fatal(err)
		}
	}
	// Documents until the disk is full.
	var docs []store.Document
	full := false
	for i := 0; !full && i < 200; i++ {
		p := filepath.Join(in, fmt.Sprintf("notes-%03d.md", i))
		if err := os.WriteFile(p, []byte(words(r, 1<<20)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := svc.Ingest(ctx, []string{p}, nil)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, out.Documents...)
		for _, f := range out.Failures {
			if !strings.Contains(f.Error, "disk is full") {
				t.Fatalf("%s: %s", f.File, f.Error)
			}
			full = true
		}
	}
	if !full || len(docs) == 0 {
		t.Fatalf("the disk never filled (%d documents)", len(docs))
	}
	// Chapel closes (the WAL goes back into the database) and opens again;
	// then the disk fills to the last byte.
	svc.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = store.Open(ctx, filepath.Join(disk, "chapel.db")); err != nil {
		t.Fatalf("opening on the full disk: %v", err)
	}
	defer st.Close()
	svc = New(st, filepath.Join(disk, "documents"), nil)
	defer svc.Close()
	testdisk.Fill(t, filepath.Join(disk, "documents", "last-bytes"))
	if _, err := st.AddMessage(ctx, store.Message{ConversationID: conv.ID, Role: "user", Content: words(r, 64<<10)}); err == nil ||
		!strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("saving on the full disk: %v, want the disk is full", err)
	}
	var fs syscall.Statfs_t
	syscall.Statfs(disk, &fs)
	t.Logf("%d documents filled the disk; %d bytes free", len(docs), fs.Bavail*uint64(fs.Bsize))

	if err := st.DeleteConversation(ctx, conv.ID); err != nil {
		t.Fatalf("deleting a conversation on the full disk: %v", err)
	}
	d := docs[len(docs)/2]
	svc.Release(d.Blake3) // as the app does: the stored copy first, for room
	if err := st.DeleteDocument(ctx, d.ID); err != nil {
		t.Fatalf("deleting a document on the full disk: %v", err)
	}
	svc.Forget(ctx, d.Blake3)
	if _, err := os.Stat(filepath.Join(disk, "documents", d.Blake3[:2], d.Blake3)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the deleted document's stored copy: %v", err)
	}
	if _, err := st.GetConversation(ctx, conv.ID); err == nil {
		t.Error("the conversation is still there")
	}
	left, err := st.ListDocuments(ctx)
	if err != nil || len(left) != len(docs)-1 {
		t.Errorf("%d documents left, want %d (%v)", len(left), len(docs)-1, err)
	}

	// Room again: a delete makes the reserve again.
	os.Remove(filepath.Join(disk, "documents", "last-bytes"))
	if err := st.DeleteDocument(ctx, docs[0].ID); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(disk, "chapel.db-reserve")); err != nil || fi.Size() == 0 {
		t.Errorf("the reserve was not made again: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed, with the disk full to the last byte again: Chapel still opens
	// (with the reserve's room) and can delete.
	testdisk.Fill(t, filepath.Join(disk, "documents", "last-bytes-2"))
	again, err := store.Open(ctx, filepath.Join(disk, "chapel.db"))
	if err != nil {
		t.Fatalf("opening on a full disk: %v", err)
	}
	defer again.Close()
	if ds, err := again.ListDocuments(ctx); err != nil || len(ds) != len(docs)-2 {
		t.Errorf("after reopening: %d documents, %v", len(ds), err)
	}
	if err := again.DeleteDocument(ctx, docs[1].ID); err != nil {
		t.Errorf("deleting after opening on a full disk: %v", err)
	}
	if err := again.QuickCheck(ctx); err != nil {
		t.Errorf("the database after all that: %v", err)
	}
}
