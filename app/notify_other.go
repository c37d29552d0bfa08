//go:build !linux && !darwin && !windows

package app

import (
	"context"
	"errors"
)

// desktopNotifier: this system has no notification service Chapel knows.
type desktopNotifier struct{}

func (desktopNotifier) Notify(context.Context, string, string) error {
	return errors.New("desktop notifications are not supported on this system")
}
