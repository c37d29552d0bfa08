package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/chapelapp/chapel/backend/ask"
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/worker"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/models"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
)

// emitter is what the backend sees of the UI: the Wails runtime in the
// window, nothing on the command line.
type emitter interface {
	Emit(name string, payload any)
}

type nopEmitter struct{}

func (nopEmitter) Emit(string, any) {}

// services is the backend wired together; the window and the CLI share it.
type services struct {
	home      string
	log       *slog.Logger
	store     *store.Store
	engine    engine.Engine
	chat      *chat.Service
	models    *models.Manager
	ingest    *ingest.Service
	summaries *summarize.Service
	emit      emitter // the window's events; nothing on the command line
}

// openServices opens the database in the data folder, marks replies that a
// previous run left streaming as failed (their text is kept) and wires the
// engine, chat and model manager together.
func openServices(ctx context.Context, log *slog.Logger, em emitter) (*services, error) {
	home, err := paths.DataDir()
	if err != nil {
		return nil, err
	}
	dbPath, err := paths.DatabasePath()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	if n, err := st.RecoverStreaming(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("recover unfinished replies: %w", err)
	} else if n > 0 {
		log.Info("marked replies left unfinished by the last run as failed", "count", n)
	}
	if n, err := st.RecoverSummaries(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("recover unfinished summaries: %w", err)
	} else if n > 0 {
		log.Info("summaries left unfinished by the last run will resume when opened", "count", n)
	}
	docDir, err := paths.DocumentsDir()
	if err != nil {
		st.Close()
		return nil, err
	}
	if em == nil {
		em = nopEmitter{}
	}
	// The engine runs in a worker process (this binary, re-executed): a model
	// that crashes llama.cpp ends the worker, not the app.
	eng := worker.New(workerCommand, log)
	chats := chat.New(st, eng, em, log)
	chats.SetGrounder(ask.New(st))
	return &services{
		home:      home,
		log:       log,
		store:     st,
		engine:    eng,
		chat:      chats,
		models:    models.NewManager(eng, st, em, log, engine.LoadOptions{}),
		ingest:    ingest.New(st, docDir, log),
		summaries: summarize.New(st, eng, log),
		emit:      em,
	}, nil
}

// close stops replies (saved as stopped), then frees the engine and the database.
func (s *services) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.chat.Close(ctx); err != nil {
		s.log.Error("close chats", "err", err)
	}
	s.ingest.Close()
	if err := s.summaries.Close(ctx); err != nil {
		s.log.Error("close summaries", "err", err)
	}
	if err := s.engine.Close(); err != nil {
		s.log.Error("close engine", "err", err)
	}
	if err := s.store.Close(); err != nil {
		s.log.Error("close database", "err", err)
	}
}

// modelDirs are the folders scanned for .gguf files: the data folder's
// models/, and a models/ folder in the working directory or beside the
// project when running from a checkout.
func (s *services) modelDirs() []string {
	dirs := []string{filepath.Join(s.home, paths.ModelsName)}
	if wd, err := os.Getwd(); err == nil {
		dirs = append(dirs, filepath.Join(wd, "models"))
	}
	if exe, err := os.Executable(); err == nil {
		// build/bin/chapel in a checkout: the repository's models/ folder.
		dirs = append(dirs, filepath.Join(filepath.Dir(exe), "..", "..", "models"))
	}
	return dirs
}

// newLogger logs to a file in the data folder (the window) or to stderr at
// warning level (the CLI).
func newLogger(toFile bool) (*slog.Logger, func()) {
	if !toFile {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), func() {}
	}
	home, err := paths.DataDir()
	if err == nil {
		err = os.MkdirAll(filepath.Join(home, "logs"), 0o755)
	}
	if err != nil {
		return slog.New(slog.NewTextHandler(os.Stderr, nil)), func() {}
	}
	f, err := os.OpenFile(filepath.Join(home, "logs", "chapel.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return slog.New(slog.NewTextHandler(os.Stderr, nil)), func() {}
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }
}
