//go:build !linux && !darwin && !windows

package app

import "context"

// systemPrefersDark: this system is not asked (the window shows light
// unless the user chooses dark).
func systemPrefersDark(context.Context) (dark, known bool) { return false, false }
