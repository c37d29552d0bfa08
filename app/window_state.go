package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"

	"github.com/chapelapp/chapel/backend/store"
)

// Window defaults and limits (also the options given to Wails).
const (
	defaultWidth  = 1180
	defaultHeight = 780
	minWidth      = 720
	minHeight     = 480
)

// geometryKey is the setting holding the window's size and position.
const geometryKey = "window.geometry"

// geometry is the window's size and position as it was closed. X and Y are
// relative to the screen the window was on (what Wails reports and takes).
type geometry struct {
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	Maximised bool `json:"maximised"`
}

// loadGeometry returns the remembered geometry; false when there is none
// (first start) or it cannot be read, and the window opens at its defaults.
func loadGeometry(ctx context.Context, st *store.Store) (geometry, bool) {
	var g geometry
	found, err := st.GetSetting(ctx, geometryKey, &g)
	if err != nil || !found || g.Width <= 0 || g.Height <= 0 {
		return geometry{}, false
	}
	return g, true
}

// clamp fits g onto a screen of sw×sh pixels: no smaller than the window's
// minimum, no larger than the screen, and placed so that all of it shows (a
// window closed on a monitor that is gone, or a larger one, comes back in
// view). A screen of unknown size (0) leaves the size and position alone.
func (g geometry) clamp(sw, sh int) geometry {
	g.Width, g.X = fit(g.Width, g.X, minWidth, sw)
	g.Height, g.Y = fit(g.Height, g.Y, minHeight, sh)
	return g
}

// fit clamps one axis: length to [least, screen] and pos to [0, screen-length].
func fit(length, pos, least, screen int) (int, int) {
	length = max(length, least)
	if screen <= 0 {
		return length, max(pos, 0)
	}
	length = min(length, screen)
	return length, min(max(pos, 0), screen-length)
}

// openedFiles are the files Chapel was asked to open (arguments at start, or
// a second launch's arguments) until the window takes them.
type openedFiles struct {
	mu    sync.Mutex
	paths []string
}

func (o *openedFiles) add(paths []string) {
	o.mu.Lock()
	o.paths = append(o.paths, paths...)
	o.mu.Unlock()
}

func (o *openedFiles) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.paths
	o.paths = nil
	return p
}

// fileArgs picks the file and folder arguments out of a launch's arguments
// (flags and their values are skipped) and makes them absolute against the
// folder the launch ran in. Arguments that name nothing on disk are dropped.
func fileArgs(args []string, workDir string) []string {
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			if a == "--home" || a == "-home" { // the only window flag that takes a value
				i++
			}
			continue
		}
		if !filepath.IsAbs(a) && workDir != "" {
			a = filepath.Join(workDir, a)
		}
		if abs, err := filepath.Abs(a); err == nil {
			a = abs
		}
		if _, err := os.Stat(a); err == nil {
			files = append(files, a)
		}
	}
	return files
}

// instanceID names the single-instance lock: one window per data folder, so
// Chapels started with different --home folders (tests) stay apart, while
// opening Chapel again on the same folder reaches the running window.
func instanceID(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return "app.chapel.desktop." + hex.EncodeToString(sum[:6])
}

// absoluteFileArgs returns a launch's arguments with the files among them
// made absolute. A second launch hands Wails its os.Args, and on Windows
// Wails reports the executable's folder as the folder it ran in, so
// relative paths must not travel.
func absoluteFileArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		if len(a) > 1 && a[0] == '-' {
			if a == "--home" || a == "-home" {
				i++
			}
			continue
		}
		if abs, err := filepath.Abs(a); err == nil && !filepath.IsAbs(a) {
			if _, err := os.Stat(abs); err == nil {
				out[i] = abs
			}
		}
	}
	return out
}

// TakeOpenedFiles returns the files Chapel was asked to open (arguments, or
// a second launch's arguments) since the last call; the window handles them
// as dropped files.
func (a *App) TakeOpenedFiles() []string {
	files := a.opened.take()
	if files == nil {
		return []string{}
	}
	return files
}
