package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// toastScript shows a Windows toast through the WinRT notification API, from
// PowerShell (no new dependency). The title and body come from the
// environment, never inside the script's text. Toasts need an app id known
// to Windows; PowerShell's own is used, so the toast is signed "Windows
// PowerShell" until Chapel's installer registers one of its own.
const toastScript = `$ErrorActionPreference = 'Stop'
[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null
$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)
$x = $t.GetElementsByTagName('text')
$x.Item(0).AppendChild($t.CreateTextNode($env:CHAPEL_NOTE_TITLE)) > $null
$x.Item(1).AppendChild($t.CreateTextNode($env:CHAPEL_NOTE_BODY)) > $null
$id = '{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\WindowsPowerShell\v1.0\powershell.exe'
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier($id).Show([Windows.UI.Notifications.ToastNotification]::new($t))`

// desktopNotifier shows notifications as Windows toasts.
type desktopNotifier struct{}

func (desktopNotifier) Notify(ctx context.Context, title, body string) error {
	cmd := exec.CommandContext(ctx, "powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", toastScript)
	cmd.Env = append(os.Environ(), "CHAPEL_NOTE_TITLE="+title, "CHAPEL_NOTE_BODY="+body)
	// No console window flashes up (CREATE_NO_WINDOW).
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: 0x08000000}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("a Windows toast through PowerShell: %w: %s", err, out)
	}
	return nil
}
