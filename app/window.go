package app

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"sync"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
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

func (e *wailsEmitter) get() context.Context {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
}

func (e *wailsEmitter) Emit(name string, payload any) {
	e.mu.RLock()
	ctx := e.ctx
	e.mu.RUnlock()
	if ctx != nil {
		runtime.EventsEmit(ctx, name, payload)
	}
}

// runWindow opens the Chapel window and returns when it closes.
func runWindow(assets fs.FS, icon []byte, version string) (code int) {
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
	svc, err := openServices(context.Background(), log, em)
	if err != nil {
		return fail(err)
	}
	defer svc.close()
	a := &App{svc: svc, version: version, ctx: em.get, dialog: func(ctx context.Context) (string, error) {
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
	err = wails.Run(&options.App{
		Title:            "Chapel",
		Width:            1180,
		Height:           780,
		MinWidth:         720,
		MinHeight:        480,
		BackgroundColour: &options.RGBA{R: 250, G: 250, B: 249, A: 255},
		AssetServer:      &assetserver.Options{Assets: dist},
		OnStartup: func(ctx context.Context) {
			em.set(ctx)
			// Load the remembered model without holding up the window.
			go func() {
				if err := svc.models.Restore(ctx); err != nil {
					log.Warn("restore the remembered model", "err", err)
				}
			}()
		},
		OnShutdown:  func(ctx context.Context) { em.set(nil) },
		Bind:        []any{a},
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		ErrorFormatter: func(err error) any {
			return toError(log, err)
		},
		Linux: &linux.Options{ProgramName: "chapel", Icon: icon, WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand},
		Mac:   &mac.Options{About: &mac.AboutInfo{Title: "Chapel " + version, Message: "A private assistant that runs on your computer."}},
	})
	if err != nil {
		log.Error("window", "err", err)
		return fail(fmt.Errorf("the window could not open: %w", err))
	}
	return 0
}
