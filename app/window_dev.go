//go:build dev

package app

import (
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
)

// The dev build (make dev-go) serves the UI to a browser at the address in
// its devserver variable, and Wails opens its own window as well. Both
// would then run the app: every event reaches both, so a dropped file was
// added twice (once by each). With a devserver address the browser is the
// only frontend: the window starts hidden and its webview gets an empty
// page instead of the app (CHAPEL_DEV_WINDOW=1 keeps the window's app, for
// working in the window).

// devWindowEnv keeps the app in the dev build's own window.
const devWindowEnv = "CHAPEL_DEV_WINDOW"

// devOptions makes the browser the dev build's only frontend.
func devOptions(app *options.App, log *slog.Logger) {
	addr := os.Getenv("devserver")
	if addr == "" || os.Getenv(devWindowEnv) == "1" {
		return
	}
	app.StartHidden = true
	mw := []assetserver.Middleware{browserOnly(addr, log)}
	if app.AssetServer.Middleware != nil {
		mw = append(mw, app.AssetServer.Middleware)
	}
	app.AssetServer.Middleware = assetserver.ChainMiddleware(mw...)
}

// browserOnly gives the window's own webview (host wails, or
// wails.localhost on Windows) an empty page, and logs it (the browser test
// reads that line); the browser's requests go on.
func browserOnly(addr string, log *slog.Logger) assetserver.Middleware {
	page := `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chapel (dev)</title></head>` +
		`<body><p>This dev build's UI is served to the browser at http://` + addr + `/ (` + devWindowEnv + `=1 keeps it here).</p></body></html>`
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !nativeWebview(r.Host) {
				next.ServeHTTP(w, r)
				return
			}
			if r.URL.Path != "/" && r.URL.Path != "/index.html" {
				http.NotFound(w, r)
				return
			}
			log.Info("dev build: the window's own webview gets an empty page; the browser is the only frontend", "browser", "http://"+addr+"/")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(page))
		})
	}
}

// nativeWebview: a request from Wails' own webview, not from a browser.
func nativeWebview(host string) bool {
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	return host == "wails" || host == "wails.localhost"
}
