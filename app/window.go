package app

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"sync"

	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// wailsEmitter sends backend events through the Wails runtime. It holds the
// window's context because the runtime needs it for every call; it is the
// only place that does, and it drops events until the window has started.
type wailsEmitter struct {
	mu  sync.RWMutex
	ctx context.Context
}

func (e *wailsEmitter) set(ctx context.Context) {
	e.mu.Lock()
	e.ctx = ctx
	e.mu.Unlock()
}

// stop forgets the window's context: the window has shut down.
func (e *wailsEmitter) stop() {
	e.mu.Lock()
	e.ctx = nil
	e.mu.Unlock()
}

func (e *wailsEmitter) get() context.Context {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
}

// started returns the window's context once the window has started.
func (e *wailsEmitter) started() (context.Context, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.ctx, e.ctx != nil
}

func (e *wailsEmitter) Emit(name string, payload any) {
	e.mu.RLock()
	ctx := e.ctx
	e.mu.RUnlock()
	if ctx != nil {
		runtime.EventsEmit(ctx, name, payload)
	}
}

// runWindow opens the Chapel window and returns when it closes. files are
// the files and folders given as arguments: they go where dropped ones go.
// A second launch on the same data folder does not open a window: it hands
// its file arguments to the running one, which comes to the front.
func runWindow(assets fs.FS, icon []byte, version string, files []string) (code int) {
	log, closeLog := newLogger(true)
	defer closeLog()
	if goruntime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return fail(fmt.Errorf("there is no display to open the window on; set DISPLAY, or use the command line (chapel help)"))
	}
	// The toolkit panics when it cannot start (a display that went away):
	// say so in a sentence, and keep the details in the log.
	defer func() {
		if r := recover(); r != nil {
			log.Error("the window crashed", "panic", r, "stack", string(debug.Stack()))
			code = fail(fmt.Errorf("the window could not start (%v); the details are in the log", r))
		}
	}()
	dist, err := fs.Sub(assets, "frontend/dist")
	if err == nil {
		_, err = fs.Stat(dist, "index.html")
	}
	if err != nil {
		return fail(fmt.Errorf("this build has no user interface (frontend/dist is empty); build it with `make build`"))
	}
	em := &wailsEmitter{}
	// A damaged database opens the window on its "database damaged" screen,
	// without services until it is dealt with (startup.go).
	svc, boot, err := openWindowServices(context.Background(), log, em)
	if err != nil {
		return fail(err)
	}
	a := &App{svc: svc, boot: boot, version: version, ctx: em.get, dialog: func(ctx context.Context) (string, error) {
		return runtime.OpenFileDialog(ctx, runtime.OpenDialogOptions{
			Title:   "Choose a GGUF model",
			Filters: []runtime.FileFilter{{DisplayName: "GGUF models (*.gguf)", Pattern: "*.gguf"}},
		})
	}}
	a.pickDocuments = func(ctx context.Context) ([]string, error) {
		return runtime.OpenMultipleFilesDialog(ctx, runtime.OpenDialogOptions{
			Title: "Add documents",
			Filters: []runtime.FileFilter{
				{DisplayName: "Documents", Pattern: "*.pdf;*.docx;*.odt;*.epub;*.html;*.htm;*.md;*.markdown;*.txt;*.rtf"},
				{DisplayName: "All files", Pattern: "*"},
			},
		})
	}
	defer func() {
		if a.svc != nil { // opened at start or after a repair
			a.svc.close()
		}
	}()
	home, err := paths.DataDir()
	if err != nil {
		return fail(err)
	}
	a.windowCtx = em.started
	a.closing = newCloseGate(closeWait)
	a.notes = newSummaryNotes(desktopNotifier{}, a.store, log)
	defer a.notes.wait()
	a.opened.add(files)
	os.Args = append(os.Args[:1:1], absoluteFileArgs(os.Args[1:])...)
	var geo geometry
	remembered := false
	if svc != nil {
		geo, remembered = loadGeometry(context.Background(), svc.store)
	}
	width, height := defaultWidth, defaultHeight
	if remembered {
		g := geo.clamp(0, 0) // the screen is known once the window exists
		width, height = g.Width, g.Height
	}
	// The window opens in the theme's colour, and the page paints it before
	// the app's code runs (/chapel/appearance.js, index.html).
	look := loadAppearance(context.Background(), a.store())
	opts := &options.App{
		Title:            "Chapel",
		Width:            width,
		Height:           height,
		MinWidth:         minWidth,
		MinHeight:        minHeight,
		BackgroundColour: background(look.Scheme),
		AssetServer: &assetserver.Options{Assets: dist, Handler: documentFiles{a: a, log: log},
			Middleware: appearanceScript(func(ctx context.Context) Appearance { return loadAppearance(ctx, a.store()) })},
		OnStartup: func(ctx context.Context) {
			em.set(ctx)
			// Load the remembered model without holding up the window.
			restore := func(svc *services) {
				go func() {
					if err := svc.models.Restore(ctx); err != nil {
						log.Warn("restore the remembered model", "err", err)
					}
				}()
			}
			if boot != nil {
				boot.mu.Lock()
				boot.ready = restore // once the damaged database is dealt with
				boot.mu.Unlock()
			} else {
				restore(svc)
			}
		},
		OnDomReady: func(ctx context.Context) {
			if remembered {
				restoreGeometry(ctx, geo)
			}
		},
		OnBeforeClose: func(ctx context.Context) bool {
			if a.svc == nil {
				return false // still on the damaged database's screen
			}
			return a.closing.beforeClose(func() {
				if err := a.svc.store.SetSetting(ctx, geometryKey, closingGeometry(ctx, a.svc.store)); err != nil {
					log.Warn("remember the window's size and position", "err", err)
				}
				em.Emit(closingEvent, nil)
			}, func() { runtime.Quit(ctx) }, log)
		},
		OnShutdown: func(context.Context) { em.stop() },
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: instanceID(home),
			OnSecondInstanceLaunch: func(second options.SecondInstanceData) {
				// Before the window has started there is nothing to raise
				// (and the runtime must not be called); the files wait.
				if ctx, ok := em.started(); ok {
					runtime.WindowUnminimise(ctx)
					runtime.WindowShow(ctx)
				}
				if files := fileArgs(second.Args, second.WorkingDirectory); len(files) > 0 {
					a.opened.add(files)
					em.Emit(openFilesEvent, len(files))
				}
			},
		},
		Bind:        []any{a},
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		ErrorFormatter: func(err error) any {
			return toError(log, err)
		},
		Linux:   &linux.Options{ProgramName: "chapel", Icon: icon, WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand},
		Windows: &windows.Options{Theme: windowsTheme(look.Theme)},
		Mac: &mac.Options{
			Appearance: macAppearance(look.Theme),
			About:      &mac.AboutInfo{Title: "Chapel " + version, Message: "A private assistant that runs on your computer."},
			// Finder hands files (dropped on the Dock icon, "Open With") to
			// the running app as events, not arguments.
			OnFileOpen: func(path string) {
				a.opened.add([]string{path})
				em.Emit(openFilesEvent, 1)
			},
		},
	}
	devOptions(opts, log)
	err = wails.Run(opts)
	if err != nil {
		log.Error("window", "err", err)
		return fail(fmt.Errorf("the window could not open: %w", err))
	}
	return 0
}

// openFilesEvent tells the window that files wait for it (TakeOpenedFiles).
const openFilesEvent = "app:open-files"

// restoreGeometry puts the window where it was, fitted to the screen it is on.
func restoreGeometry(ctx context.Context, g geometry) {
	sw, sh := 0, 0
	if screens, err := runtime.ScreenGetAll(ctx); err == nil {
		for _, sc := range screens {
			if sc.IsCurrent || sw == 0 {
				sw, sh = sc.Size.Width, sc.Size.Height
			}
		}
	}
	g = g.clamp(sw, sh)
	runtime.WindowSetSize(ctx, g.Width, g.Height)
	runtime.WindowSetPosition(ctx, g.X, g.Y)
	if g.Maximised {
		runtime.WindowMaximise(ctx)
	}
}

// closingGeometry reads the window's size and position as it closes. A
// maximised window reports the screen's size, not the one it goes back to
// when unmaximised: the geometry saved last time stands then, marked
// maximised.
func closingGeometry(ctx context.Context, st *store.Store) geometry {
	if runtime.WindowIsMaximised(ctx) {
		prev, ok := loadGeometry(ctx, st)
		if !ok {
			prev = geometry{Width: defaultWidth, Height: defaultHeight}
		}
		prev.Maximised = true
		return prev
	}
	var g geometry
	g.Width, g.Height = runtime.WindowGetSize(ctx)
	g.X, g.Y = runtime.WindowGetPosition(ctx)
	return g
}
