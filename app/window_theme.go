package app

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// The window's theme: follow the system, or light or dark whatever the
// system says. The choice is a setting; the window opens in its colour
// (BackgroundColour, and /chapel/appearance.js, which index.html loads
// before the bundle, so the page's first paint has the theme too).

// Theme choices.
const (
	themeSystem = "system"
	themeLight  = "light"
	themeDark   = "dark"
)

// appearanceKey is the setting holding Settings → Appearance (without its
// scheme, which is resolved each time).
const appearanceKey = "appearance"

// Appearance is Settings → Appearance: the theme and whether a long summary
// ends with a desktop notification.
type Appearance struct {
	Theme  string `json:"theme"`  // system, light or dark
	Scheme string `json:"scheme"` // what the window shows: light or dark (the system's, when following it)
	// NotifySummaries: a summary that ran long says it is done with a desktop notification.
	NotifySummaries bool `json:"notify_summaries"`
}

// The background of each scheme: app.css's --bg.
var (
	lightBackground = options.RGBA{R: 251, G: 251, B: 250, A: 255}
	darkBackground  = options.RGBA{R: 28, G: 28, B: 30, A: 255}
)

// systemSchemeBudget bounds asking the system for its colour scheme at start.
const systemSchemeBudget = 500 * time.Millisecond

// loadAppearance reads the stored choices and resolves the scheme the
// window shows.
func loadAppearance(ctx context.Context, st *store.Store) Appearance {
	ap := storedAppearance(ctx, st)
	ap.Scheme = resolveScheme(ctx, ap.Theme)
	return ap
}

// storedAppearance reads the stored choices (defaults: follow the system,
// notifications on), without the scheme. A value that cannot be read is
// the default.
func storedAppearance(ctx context.Context, st *store.Store) Appearance {
	def := Appearance{Theme: themeSystem, NotifySummaries: true}
	if st == nil {
		return def
	}
	ap := def
	if found, err := st.GetSetting(ctx, appearanceKey, &ap); err != nil || !found || !validTheme(ap.Theme) {
		return def
	}
	ap.Scheme = ""
	return ap
}

func validTheme(t string) bool { return t == themeSystem || t == themeLight || t == themeDark }

// resolveScheme is the scheme a theme choice shows: the choice itself, or
// the system's preference (light when the system does not say).
func resolveScheme(ctx context.Context, theme string) string {
	if theme != themeSystem {
		return theme
	}
	cctx, cancel := context.WithTimeout(ctx, systemSchemeBudget)
	defer cancel()
	if dark, known := systemPrefersDark(cctx); known && dark {
		return themeDark
	}
	return themeLight
}

// background is the window's colour for a scheme.
func background(scheme string) *options.RGBA {
	c := lightBackground
	if scheme == themeDark {
		c = darkBackground
	}
	return &c
}

// windowsTheme and macAppearance give the title bar the theme (the
// system's when following it).
func windowsTheme(theme string) windows.Theme {
	switch theme {
	case themeDark:
		return windows.Dark
	case themeLight:
		return windows.Light
	}
	return windows.SystemDefault
}

func macAppearance(theme string) mac.AppearanceType {
	switch theme {
	case themeDark:
		return mac.NSAppearanceNameDarkAqua
	case themeLight:
		return mac.NSAppearanceNameAqua
	}
	return mac.DefaultAppearance
}

// GetAppearance returns Settings → Appearance, with the scheme the theme
// shows now.
func (a *App) GetAppearance() Appearance {
	return loadAppearance(a.ctx(), a.store())
}

// SaveAppearance stores Settings → Appearance and puts the window in the
// theme's colour at once; it returns what was stored, with the scheme.
func (a *App) SaveAppearance(ap Appearance) (Appearance, error) {
	if !validTheme(ap.Theme) {
		return Appearance{}, apperr.New(apperr.Invalid, "unknown theme %q: choose system, light or dark", ap.Theme)
	}
	ctx := a.ctx()
	st := a.store()
	if st == nil {
		return Appearance{}, apperr.New(apperr.Unavailable, "Chapel's database is not open")
	}
	ap.Scheme = ""
	if err := st.SetSetting(ctx, appearanceKey, ap); err != nil {
		return Appearance{}, err
	}
	ap.Scheme = resolveScheme(ctx, ap.Theme)
	if wctx, ok := a.window(); ok {
		c := background(ap.Scheme)
		runtime.WindowSetBackgroundColour(wctx, c.R, c.G, c.B, c.A)
		switch ap.Theme {
		case themeDark:
			runtime.WindowSetDarkTheme(wctx)
		case themeLight:
			runtime.WindowSetLightTheme(wctx)
		default:
			runtime.WindowSetSystemDefaultTheme(wctx)
		}
	}
	return ap, nil
}

// store is the open database; nil on the damaged database's screen.
func (a *App) store() *store.Store {
	if a.svc == nil {
		return nil
	}
	return a.svc.store
}

// window returns the window's context once it has started (never on the
// command line or in tests).
func (a *App) window() (context.Context, bool) {
	if a.windowCtx == nil {
		return nil, false
	}
	return a.windowCtx()
}

// appearancePath is the script index.html loads before the bundle.
const appearancePath = "/chapel/appearance.js"

// appearanceScript serves appearancePath: the stored choice and the scheme
// it shows, read at each page load (the window's first paint and a reload
// both get the theme before any of the app's code runs).
func appearanceScript(get func(context.Context) Appearance) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != appearancePath {
				next.ServeHTTP(w, r)
				return
			}
			ap := get(r.Context())
			js, _ := json.Marshal(struct {
				Theme  string `json:"theme"`
				Scheme string `json:"scheme"`
			}{ap.Theme, ap.Scheme})
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write([]byte("window.chapelAppearance = " + string(js) + ";\n"))
		})
	}
}
