package app

import (
	"context"
	"fmt"
	"os/exec"
)

// desktopNotifier shows notifications in macOS's Notification Centre
// through AppleScript's display notification. The title and body travel as
// arguments, never inside the script's text.
type desktopNotifier struct{}

func (desktopNotifier) Notify(ctx context.Context, title, body string) error {
	cmd := exec.CommandContext(ctx, "osascript",
		"-e", "on run argv",
		"-e", "display notification (item 2 of argv) with title (item 1 of argv)",
		"-e", "end run",
		title, body)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("osascript display notification: %w: %s", err, out)
	}
	return nil
}
