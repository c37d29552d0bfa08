package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/ask"
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/documents"
	"github.com/chapelapp/chapel/backend/download"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/worker"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/models"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/remote"
	"github.com/chapelapp/chapel/backend/serve"
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
	lock      *paths.Lock // held while this process uses the data folder
	store     *store.Store
	engine    engine.Engine
	chat      *chat.Service
	models    *models.Manager
	ingest    *ingest.Service
	summaries *summarize.Service
	documents *documents.Service // a document's page, passages and deletion
	endpoints *remote.Endpoints
	worker    *worker.Client  // the engine worker behind queue
	queue     *serve.Queue    // the local engine: the window first, API clients (Settings → Engines) behind
	library   *models.Library // the catalogue and its downloads
	emit      emitter         // the window's events; nothing on the command line
}

// openServices opens the database in the data folder and wires the engine,
// chat, models, ingest and summaries together. The first Chapel process on
// the folder (the lock's owner) also tidies what a process that died left:
// replies left streaming are marked failed (their text kept), summaries
// left running canceled (their pieces kept), stored files no document uses
// removed. A second process (a CLI command while the window is open) must
// not: that work may be the first one's, still under way.
func openServices(ctx context.Context, log *slog.Logger, em emitter) (*services, error) {
	home, err := paths.DataDir()
	if err != nil {
		return nil, err
	}
	if err := paths.PrivateDirs(home); err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "Chapel could not use its data folder %s", home)
	}
	lock, err := paths.LockDataDir(home)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "Chapel could not use its data folder %s", home)
	}
	dbPath, err := paths.DatabasePath()
	if err != nil {
		lock.Release()
		return nil, err
	}
	docDir, err := paths.DocumentsDir()
	if err != nil {
		lock.Release()
		return nil, err
	}
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		lock.Release()
		return nil, err
	}
	if em == nil {
		em = nopEmitter{}
	}
	// The engine runs in a worker process (this binary, re-executed): a model
	// that crashes llama.cpp ends the worker, not the app.
	// Endpoints the user added run chats too; each is reached only when used.
	endpoints := remote.NewEndpoints(st, remote.NewSecrets(home))
	local := worker.New(workerCommand, log)
	queue := serve.NewQueue(local)
	eng := remote.NewSwitch(queue.Foreground(), endpoints.Config)
	eng.ShareFrom(endpoints.Sharing) // summaries' map steps also go to the endpoints ticked for them
	chats := chat.New(st, eng, em, log)
	chats.SetGrounder(ask.New(st))
	chats.SetTurnLocks(turnLocks{home})
	in := ingest.New(st, docDir, log)
	sums := summarize.New(st, eng, log)
	sums.SetRunLocks(summaryLocks{home})
	s := &services{
		home:      home,
		log:       log,
		lock:      lock,
		store:     st,
		engine:    eng,
		chat:      chats,
		models:    models.NewManager(eng, st, em, log, engine.LoadOptions{}),
		ingest:    in,
		summaries: sums,
		documents: documents.New(st, sums, in),
		endpoints: endpoints,
		queue:     queue,
		library:   models.NewLibrary(filepath.Join(home, paths.ModelsName), download.Options{}, em),
		emit:      em,
	}
	s.chat.SetModelSettings(s.models) // each model's own system prompt and sampling
	// A restarted worker that cannot load the model again: the state says so.
	local.OnModelLost(s.models.ModelLost)
	s.worker = local
	if lock.Owner() {
		s.recoverAbandoned(ctx)
	} else {
		log.Info("another Chapel is using the data folder; leaving its unfinished work alone", "folder", home)
	}
	return s, nil
}

// noModelReason says why the local engine has no model when it knows (the
// model could not be loaded again after the worker restarted), for the
// API's answer; "" otherwise.
func (s *services) noModelReason() string {
	if err := s.worker.Lost(); err != nil {
		return apperr.Message(err)
	}
	return ""
}

// recoverAbandoned tidies what a process that died left behind. None of it
// may keep Chapel from opening: on a full disk (the likeliest reason a run
// died) the tidying cannot write, yet reading, exporting and deleting to
// make room must still work. What fails is logged and tried again at the
// next start.
func (s *services) recoverAbandoned(ctx context.Context) {
	if n, err := s.store.RecoverStreaming(ctx); err != nil {
		s.log.Warn("could not mark the replies the last run left unfinished; trying again at the next start", "err", err)
	} else if n > 0 {
		s.log.Info("marked replies left unfinished by the last run as failed", "count", n)
	}
	if n, err := s.summaries.RecoverAbandoned(ctx); err != nil {
		s.log.Warn("could not mark the summaries the last run left unfinished; trying again at the next start", "err", err)
	} else if n > 0 {
		s.log.Info("summaries left unfinished by the last run will resume when run again", "count", n)
	}
	// Empty for ten minutes at least: one made just now may be another window's, open.
	if n, err := s.store.DropEmptyConversations(ctx, time.Now().Add(-10*time.Minute).UnixMilli()); err != nil {
		s.log.Warn("could not tidy the empty conversations", "err", err)
	} else if n > 0 {
		s.log.Info("removed conversations left empty", "count", n)
	}
	if n, err := s.ingest.Prune(ctx); err != nil {
		s.log.Warn("could not remove stored files no document uses", "err", err)
	} else if n > 0 {
		s.log.Info("removed stored files no document uses", "count", n)
	}
}

// close stops everything that runs — replies (saved as stopped), ingest
// jobs and summaries (their pieces kept) — all at once, each with its own
// deadline, then frees the engine, the database and the folder's lock.
func (s *services) close() {
	var wg sync.WaitGroup
	stop := func(what string, fn func(ctx context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := fn(ctx); err != nil {
				s.log.Error("close "+what, "err", err)
			}
		}()
	}
	stop("chats", s.chat.Close)
	stop("summaries", s.summaries.Close)
	stop("ingest", s.ingest.Shutdown)
	stop("downloads", func(context.Context) error { s.library.Close(); return nil })
	wg.Wait()
	tctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if err := s.models.SaveThreads(tctx); err != nil { // what the tuner settled on, for the next start
		s.log.Warn("keep the model's thread counts", "err", err)
	}
	cancel()
	if err := s.engine.Close(); err != nil {
		s.log.Error("close engine", "err", err)
	}
	s.waitWriters()
	if err := s.store.Close(); err != nil {
		s.log.Error("close database", "err", err)
	}
	if err := s.lock.Release(); err != nil {
		s.log.Error("release the data folder's lock", "err", err)
	}
}

// writersGrace bounds how long closing waits, after the engine closed, for
// replies, summaries and ingest jobs still saving.
var writersGrace = 15 * time.Second // a variable for tests

// waitWriters waits (within writersGrace) until no reply, summary or ingest
// job is left running, so the database closes only after every writer
// stopped: one whose first deadline passed may still be saving its last
// text, and with the engine closed its run ends. Whatever is still running
// after that finds the store closing and fails cleanly.
func (s *services) waitWriters() {
	ctx, cancel := context.WithTimeout(context.Background(), writersGrace)
	defer cancel()
	var wg sync.WaitGroup
	for what, fn := range map[string]func(context.Context) error{
		"replies": s.chat.Close, "summaries": s.summaries.Close, "ingest": s.ingest.Shutdown,
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil {
				s.log.Error("closing the database with "+what+" still running", "err", err)
			}
		}()
	}
	wg.Wait()
}

// deleteDocument deletes a document: its stored copy first (on a full disk
// that is the room the delete needs), then, once its summaries stopped, its
// rows.
func (s *services) deleteDocument(ctx context.Context, id int64) error {
	return s.documents.Delete(ctx, id)
}

// modelDirs are the folders scanned for .gguf files: the data folder's
// models/, and a models/ folder in the working directory or beside the
// project when running from a checkout.
func (s *services) modelDirs() []string { return modelDirsIn(s.home) }

// modelDirsIn is modelDirs for the data folder home.
func modelDirsIn(home string) []string {
	dirs := []string{filepath.Join(home, paths.ModelsName)}
	// On Windows the models folder is in %LocalAppData%, apart from the data folder.
	if local, err := paths.ModelsDir(); err == nil && goruntime.GOOS == "windows" && local != dirs[0] {
		dirs = append([]string{local}, dirs...)
	}
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
		err = paths.PrivateDirs(home)
	}
	if err != nil {
		return slog.New(slog.NewTextHandler(os.Stderr, nil)), func() {}
	}
	f, err := paths.PrivateFile(filepath.Join(home, paths.LogsName, "chapel.log"))
	if err != nil {
		return slog.New(slog.NewTextHandler(os.Stderr, nil)), func() {}
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }
}
