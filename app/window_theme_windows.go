package app

import (
	"context"

	"golang.org/x/sys/windows/registry"
)

// systemPrefersDark reads Windows' app mode: AppsUseLightTheme is 0 when
// apps are set to dark.
func systemPrefersDark(context.Context) (dark, known bool) {
	k, err := registry.OpenKey(registry.CURRENT_USER, `Software\Microsoft\Windows\CurrentVersion\Themes\Personalize`, registry.QUERY_VALUE)
	if err != nil {
		return false, false
	}
	defer k.Close()
	v, _, err := k.GetIntegerValue("AppsUseLightTheme")
	if err != nil {
		return false, false
	}
	return v == 0, true
}
