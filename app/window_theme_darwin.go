package app

import (
	"context"
	"errors"
	"os/exec"
	"strings"
)

// systemPrefersDark reads macOS's appearance: AppleInterfaceStyle is
// "Dark" in dark mode and absent in light mode (defaults then fails).
func systemPrefersDark(ctx context.Context) (dark, known bool) {
	out, err := exec.CommandContext(ctx, "defaults", "read", "-g", "AppleInterfaceStyle").Output()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return strings.EqualFold(strings.TrimSpace(string(out)), "dark"), true
	case errors.As(err, &exit):
		return false, true // the key is absent: light
	}
	return false, false
}
