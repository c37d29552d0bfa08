//go:build !dev

package app

import (
	"log/slog"

	"github.com/wailsapp/wails/v2/pkg/options"
)

// devOptions: only the dev build changes the window's options (window_dev.go).
func devOptions(*options.App, *slog.Logger) {}
