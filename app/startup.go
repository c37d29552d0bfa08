package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

// A damaged database must not stop the window without a word. When the
// services cannot start because the database is damaged, the window opens
// anyway, with no services, and shows the "database damaged" screen
// (frontend DatabaseDamaged.svelte), which StartupState sends it to. The
// screen offers two ways on: StartFresh keeps the damaged file under a
// timestamped name and starts an empty database; RecoverDatabase keeps it
// the same way and saves every row that can still be read into a new one.
// Either way the services then start and the frontend reloads into the app.

// Startup states.
const (
	startupReady   = "ready"
	startupDamaged = "damaged"
)

// StartupState is what the window shows first.
type StartupState struct {
	State    string `json:"state"`    // ready, or damaged (the database could not be opened)
	Message  string `json:"message"`  // what happened, one sentence
	Database string `json:"database"` // the database file
	LogFile  string `json:"log_file"` // where the details are
}

// RepairResult says what StartFresh or RecoverDatabase did.
type RepairResult struct {
	Copy    string               `json:"copy"`    // where the damaged database was kept
	Message string               `json:"message"` // one sentence for the user
	Salvage *store.SalvageReport `json:"salvage"` // what RecoverDatabase saved; null for StartFresh
}

// bootState is a window that started without its database.
type bootState struct {
	mu      sync.Mutex
	log     *slog.Logger
	em      emitter
	dbPath  string
	damaged error               // why the database could not be opened; nil once repaired
	ready   func(svc *services) // the window's own start once services run (restore the model)
}

// quickCheckBudget bounds the check of the database's pages at the window's
// start: most databases are checked well within it; a very large one goes
// unchecked rather than holding up the window.
const quickCheckBudget = 2 * time.Second

// openWindowServices opens the services for the window. A damaged database
// (found on opening it, or by a check of its pages) gives a boot state
// instead, and the window opens on its "database damaged" screen.
func openWindowServices(ctx context.Context, log *slog.Logger, em emitter) (*services, *bootState, error) {
	svc, err := openServices(ctx, log, em)
	if err == nil && !svc.lock.Owner() {
		return svc, nil, nil // another Chapel uses the folder (a second launch hands over to it): it checked
	}
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, quickCheckBudget)
		err = svc.store.QuickCheck(cctx)
		cancel()
		switch {
		case err == nil:
			return svc, nil, nil
		case !store.IsDamaged(err):
			log.Warn("the database's pages were not checked", "err", err)
			return svc, nil, nil
		}
		svc.close()
	}
	if boot := damagedStart(log, em, err); boot != nil {
		return nil, boot, nil
	}
	return nil, nil, err
}

// damagedStart returns the boot state of a window whose services failed to
// open with err, when err is a damaged database; nil for any other error.
func damagedStart(log *slog.Logger, em emitter, err error) *bootState {
	if !store.IsDamaged(err) {
		return nil
	}
	dbPath, perr := paths.DatabasePath()
	if perr != nil {
		return nil
	}
	log.Error("the database is damaged; the window offers to start fresh or to recover it", "path", dbPath, "err", err)
	return &bootState{log: log, em: em, dbPath: dbPath, damaged: err}
}

// StartupState says whether the window can show the app or must first deal
// with a damaged database.
func (a *App) StartupState() StartupState {
	if a.boot == nil {
		return StartupState{State: startupReady}
	}
	a.boot.mu.Lock()
	defer a.boot.mu.Unlock()
	if a.boot.damaged == nil {
		return StartupState{State: startupReady}
	}
	home, _ := paths.DataDir()
	return StartupState{
		State:    startupDamaged,
		Message:  fmt.Sprintf("Chapel's database %s is damaged: some of its pages cannot be read.", a.boot.dbPath),
		Database: a.boot.dbPath,
		LogFile:  filepath.Join(home, "logs", "chapel.log"),
	}
}

// StartFresh keeps the damaged database under a timestamped name and starts
// Chapel with an empty one.
func (a *App) StartFresh() (RepairResult, error) { return a.repair(a.ctx(), false) }

// RecoverDatabase keeps the damaged database under a timestamped name and
// starts Chapel with a new one holding every row that could be read.
func (a *App) RecoverDatabase() (RepairResult, error) { return a.repair(a.ctx(), true) }

func (a *App) repair(ctx context.Context, salvage bool) (RepairResult, error) {
	b := a.boot
	if b == nil {
		return RepairResult{}, apperr.New(apperr.Conflict, "the database is not damaged")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.damaged == nil {
		return RepairResult{}, apperr.New(apperr.Conflict, "the database was already repaired; reload the window")
	}
	res, err := repairDatabase(ctx, b.log, b.dbPath, salvage)
	if err != nil {
		return res, err
	}
	svc, err := openServices(ctx, b.log, b.em)
	if err != nil {
		b.log.Error("the services did not start after the repair", "err", err)
		return res, err
	}
	// The frontend calls nothing else until it reloads into the app.
	a.svc, b.damaged = svc, nil
	if b.ready != nil {
		b.ready(svc)
	}
	return res, nil
}

// repairDatabase sets the damaged database at dbPath aside and, with
// salvage, puts a new one holding its readable rows in its place. When the
// salvage fails the damaged file goes back where it was.
func repairDatabase(ctx context.Context, log *slog.Logger, dbPath string, salvage bool) (RepairResult, error) {
	aside, err := store.SetAside(dbPath, time.Now())
	if err != nil {
		return RepairResult{}, err
	}
	res := RepairResult{Copy: aside}
	if !salvage {
		res.Message = fmt.Sprintf("Chapel starts with an empty database; the damaged one is kept as %s.", aside)
		log.Info("started a fresh database; the damaged one is kept", "copy", aside)
		return res, nil
	}
	tmp := dbPath + ".recovering"
	removeDB(tmp)
	rep, err := store.Salvage(ctx, aside, tmp)
	if err == nil {
		removeSidecars(tmp)
		err = os.Rename(tmp, dbPath)
	}
	if err != nil {
		removeDB(tmp)
		if back := putBack(aside, dbPath); back != nil {
			log.Error("could not put the damaged database back", "copy", aside, "err", back)
		}
		log.Error("recovering the damaged database failed", "err", err)
		return RepairResult{}, apperr.Wrap(apperr.CodeOf(err), err, "could not recover the database")
	}
	res.Salvage = &rep
	res.Message = fmt.Sprintf("Recovered %s and %s (%s in all); the damaged database is kept as %s.",
		plural(rep.Conversations, "conversation"), plural(rep.Documents, "document"), plural(rep.Rows, "row"), aside)
	log.Info("recovered the damaged database", "rows", rep.Rows, "conversations", rep.Conversations, "messages", rep.Messages,
		"documents", rep.Documents, "unreadable", rep.Unreadable, "orphans", rep.Orphans, "copy", aside)
	return res, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// removeSidecars removes a closed database's WAL and shared-memory files.
func removeSidecars(path string) {
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
}

func removeDB(path string) {
	removeSidecars(path)
	os.Remove(path)
}

// putBack undoes SetAside.
func putBack(aside, dbPath string) error {
	for _, s := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(aside+s, dbPath+s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
