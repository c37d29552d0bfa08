package app

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
	"github.com/godbus/dbus/v5"
)

// privateBus starts a D-Bus daemon of the test's own (a socket in a temp
// folder, nothing else on it) and points DBUS_SESSION_BUS_ADDRESS at it.
// It skips the test when dbus-daemon is not installed (Debian: dbus).
func privateBus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon is not installed (Debian package dbus): the desktop notification is not tested")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=`+dir+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder // its complaints (an fd limit it may not raise) only matter when it fails
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("dbus-daemon gave no address: %v\n%s", err, stderr.String())
	}
	addr := strings.TrimSpace(line)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

// busService connects to the bus at addr, exports v at path under iface and
// takes the well-known name.
func busService(t *testing.T, addr, name string, path dbus.ObjectPath, iface string, v any) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Export(v, path, iface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("take the name %s: %v %v", name, reply, err)
	}
}

// notificationServer is a minimal org.freedesktop.Notifications: it keeps
// what it was asked to show.
type notificationServer struct {
	got chan [3]string // app name, summary, body
}

func (s *notificationServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.got <- [3]string{app, summary, body}
	return 1, nil
}

func startNotificationServer(t *testing.T, addr string) *notificationServer {
	s := &notificationServer{got: make(chan [3]string, 8)}
	busService(t, addr, "org.freedesktop.Notifications", "/org/freedesktop/Notifications", "org.freedesktop.Notifications", s)
	return s
}

// TestSummaryNotification: the end of a long summary reaches the desktop's
// notification service with the document's title; a short one, one the
// user stopped, or one with notifications turned off does not.
func TestSummaryNotification(t *testing.T) {
	addr := privateBus(t)
	server := startNotificationServer(t, addr)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	doc, _, err := st.AddDocument(ctx, store.NewDocument{Blake3: strings.Repeat("b3", 32), Name: "farm.pdf", Format: "pdf", Title: "Farm report 2026", Text: "Wheat.",
		Chunks: []store.Chunk{{Ord: 0, Start: 0, End: 6, Text: "Wheat."}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ran     time.Duration
		status  string
		off     bool
		want    bool
		summary string // what the notification's title holds
	}{
		{"long and complete", 40 * time.Second, summarize.StatusComplete, false, true, "“Farm report 2026” is summarised"},
		{"long and failed", 40 * time.Second, summarize.StatusFailed, false, true, "could not finish"},
		{"short", 3 * time.Second, summarize.StatusComplete, false, false, ""},
		{"stopped by the user", 40 * time.Second, summarize.StatusCanceled, false, false, ""},
		{"notifications off", 40 * time.Second, summarize.StatusComplete, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := st.SetSetting(ctx, appearanceKey, Appearance{Theme: themeSystem, NotifySummaries: !tt.off}); err != nil {
				t.Fatal(err)
			}
			clock := time.Unix(1_800_000_000, 0)
			n := newSummaryNotes(desktopNotifier{}, func() *store.Store { return st }, slog.New(slog.DiscardHandler))
			n.now = func() time.Time { return clock }
			var emitted []string
			emit := n.watch(func(name string, _ any) { emitted = append(emitted, name) })
			emit("summary:progress:1", summarize.Progress{SummaryID: 1, DocumentID: doc.ID, Status: summarize.StatusRunning})
			clock = clock.Add(tt.ran)
			emit("summary:progress:1", summarize.Progress{SummaryID: 1, DocumentID: doc.ID, Status: tt.status,
				View: &summarize.View{Coverage: "Covers pages 1–3 of 3"}})
			n.wait()
			if len(emitted) != 2 {
				t.Fatalf("the window got %d events, want both", len(emitted))
			}
			select {
			case got := <-server.got:
				if !tt.want {
					t.Fatalf("a notification %q, want none", got)
				}
				if got[0] != "Chapel" || !strings.Contains(got[1], tt.summary) {
					t.Fatalf("notification %q, want from Chapel, its title with %q", got, tt.summary)
				}
				if tt.status == summarize.StatusComplete && got[2] != "Covers pages 1–3 of 3" {
					t.Fatalf("notification body %q, want the coverage line", got[2])
				}
			default:
				if tt.want {
					t.Fatal("no notification reached the notification service")
				}
			}
		})
	}
}

// TestNotifyWithoutService: with no notification service on the bus the
// notifier says so (the window logs it) instead of hanging or crashing.
func TestNotifyWithoutService(t *testing.T) {
	privateBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := desktopNotifier{}.Notify(ctx, "title", "body")
	if err == nil || !strings.Contains(err.Error(), "notification service") {
		t.Fatalf("Notify with no service = %v, want an error naming the notification service", err)
	}
}

// portalSettings is the part of the XDG desktop portal that answers the
// colour scheme.
type portalSettings struct{ scheme uint32 }

func (p *portalSettings) ReadOne(namespace, key string) (dbus.Variant, *dbus.Error) {
	if namespace != "org.freedesktop.appearance" || key != "color-scheme" {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.portal.Error.NotFound", nil)
	}
	return dbus.MakeVariant(p.scheme), nil
}

// TestSystemSchemeFromPortal: following the system, the theme is the
// portal's color-scheme (1 prefer dark, 2 prefer light); with no portal and
// no GTK setting it is light.
func TestSystemSchemeFromPortal(t *testing.T) {
	t.Setenv("GTK_THEME", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no settings.ini
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		portal bool
		scheme uint32
		want   string
	}{
		{"portal prefers dark", true, 1, themeDark},
		{"portal prefers light", true, 2, themeLight},
		{"portal has no preference", true, 0, themeLight},
		{"no portal", false, 0, themeLight},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := privateBus(t)
			if tt.portal {
				busService(t, addr, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
					"org.freedesktop.portal.Settings", &portalSettings{scheme: tt.scheme})
			}
			if got := resolveScheme(ctx, themeSystem); got != tt.want {
				t.Fatalf("resolveScheme(system) = %s, want %s", got, tt.want)
			}
			if got := resolveScheme(ctx, themeDark); got != themeDark {
				t.Fatalf("resolveScheme(dark) = %s: a chosen theme does not ask the system", got)
			}
		})
	}
}

func TestGTKSettingsPreferDark(t *testing.T) {
	for _, tt := range []struct {
		ini         string
		dark, known bool
	}{
		{"[Settings]\ngtk-application-prefer-dark-theme=1\n", true, true},
		{"[Settings]\ngtk-application-prefer-dark-theme = true\n", true, true},
		{"[Settings]\ngtk-theme-name=Arc-Dark\n", true, true},
		{"[Settings]\ngtk-theme-name=Adwaita\ngtk-application-prefer-dark-theme=0\n", false, true},
		{"[Settings]\ngtk-font-name=Cantarell 11\n", false, false},
	} {
		dark, known := gtkSettingsPreferDark(bufio.NewScanner(strings.NewReader(tt.ini)))
		if dark != tt.dark || known != tt.known {
			t.Errorf("%q: dark %v known %v, want %v %v", tt.ini, dark, known, tt.dark, tt.known)
		}
	}
}
