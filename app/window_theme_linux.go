package app

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/godbus/dbus/v5"
)

// systemPrefersDark asks the desktop whether it prefers dark: the XDG
// desktop portal's org.freedesktop.appearance color-scheme (GNOME 42+, KDE,
// and others; 1 = prefer dark, 2 = prefer light, 0 = no preference), then
// GTK's own settings (GTK_THEME, gtk-application-prefer-dark-theme and a
// theme named …-dark in settings.ini), which WebKitGTK also reads. known is
// false when none of them says.
func systemPrefersDark(ctx context.Context) (dark, known bool) {
	if v, ok := portalColorScheme(ctx); ok && v != 0 {
		return v == 1, true
	}
	return gtkPrefersDark()
}

// portalColorScheme reads the portal's color-scheme over the session bus.
func portalColorScheme(ctx context.Context) (uint32, bool) {
	conn, err := sessionBus(ctx)
	if err != nil {
		return 0, false
	}
	defer conn.Close()
	obj := conn.Object("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop")
	var v dbus.Variant
	// ReadOne (portal version 2) answers the value itself; the older Read
	// answers it wrapped in one more variant.
	if err := obj.CallWithContext(ctx, "org.freedesktop.portal.Settings.ReadOne", 0,
		"org.freedesktop.appearance", "color-scheme").Store(&v); err != nil {
		if err := obj.CallWithContext(ctx, "org.freedesktop.portal.Settings.Read", 0,
			"org.freedesktop.appearance", "color-scheme").Store(&v); err != nil {
			return 0, false
		}
	}
	if inner, ok := v.Value().(dbus.Variant); ok {
		v = inner
	}
	n, ok := v.Value().(uint32)
	return n, ok
}

// gtkPrefersDark reads GTK 3's settings: GTK_THEME ("Adwaita:dark"), then
// settings.ini in the user's config folder.
func gtkPrefersDark() (dark, known bool) {
	if t := os.Getenv("GTK_THEME"); t != "" {
		return darkThemeName(t), true
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return false, false
		}
		dir = filepath.Join(home, ".config")
	}
	f, err := os.Open(filepath.Join(dir, "gtk-3.0", "settings.ini"))
	if err != nil {
		return false, false
	}
	defer f.Close()
	return gtkSettingsPreferDark(bufio.NewScanner(f))
}

// gtkSettingsPreferDark reads the lines of a GTK settings.ini.
func gtkSettingsPreferDark(sc *bufio.Scanner) (dark, known bool) {
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "gtk-application-prefer-dark-theme":
			if val == "1" || strings.EqualFold(val, "true") {
				return true, true
			}
			known = true
		case "gtk-theme-name":
			if darkThemeName(val) {
				return true, true
			}
			known = true
		}
	}
	return false, known
}

// darkThemeName: "Adwaita:dark", "Arc-Dark", "Yaru-dark"…
func darkThemeName(t string) bool {
	t = strings.ToLower(t)
	return strings.HasSuffix(t, ":dark") || strings.HasSuffix(t, "-dark")
}
