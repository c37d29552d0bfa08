//go:build darwin || freebsd || netbsd || openbsd

package app

import "golang.org/x/sys/unix"

const ioctlReadTermios = unix.TIOCGETA
