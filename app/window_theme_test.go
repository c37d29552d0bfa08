package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
)

// TestAppearanceRemembered: Settings → Appearance is stored, comes back
// (what the next start opens with), and a chosen theme is the window's
// colour; an unknown theme is refused and changes nothing.
func TestAppearanceRemembered(t *testing.T) {
	a, ctx := newTestApp(t)
	if got := storedAppearance(ctx, a.svc.store); got.Theme != themeSystem || !got.NotifySummaries {
		t.Fatalf("first start: %+v, want to follow the system with notifications on", got)
	}
	for _, tt := range []struct {
		theme, scheme string
		notify        bool
		bg            uint8 // the background's red
	}{
		{themeDark, themeDark, false, darkBackground.R},
		{themeLight, themeLight, true, lightBackground.R},
		{themeDark, themeDark, true, darkBackground.R},
	} {
		saved, err := a.SaveAppearance(Appearance{Theme: tt.theme, NotifySummaries: tt.notify})
		if err != nil {
			t.Fatal(err)
		}
		if saved.Scheme != tt.scheme {
			t.Fatalf("saved %s: scheme %s, want %s", tt.theme, saved.Scheme, tt.scheme)
		}
		// What the window reads as it opens.
		got := loadAppearance(ctx, a.svc.store)
		if got.Theme != tt.theme || got.Scheme != tt.scheme || got.NotifySummaries != tt.notify {
			t.Fatalf("after saving %+v the window opens with %+v", tt, got)
		}
		if bg := background(got.Scheme); bg.R != tt.bg {
			t.Fatalf("%s: background %+v", tt.theme, bg)
		}
	}
	_, err := a.SaveAppearance(Appearance{Theme: "sepia", NotifySummaries: false})
	if apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("an unknown theme: %v, want invalid", err)
	}
	if got := a.GetAppearance(); got.Theme != themeDark || !got.NotifySummaries {
		t.Fatalf("after the refused save: %+v, want the last saved (dark, notifications on)", got)
	}
}

// TestAppearanceScript: /chapel/appearance.js gives the page the choice and
// its scheme before the app's code runs; every other path goes on to the
// app's files.
func TestAppearanceScript(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("app file")) })
	look := Appearance{Theme: themeSystem, Scheme: themeDark}
	h := appearanceScript(func(context.Context) Appearance { return look })(app)
	for _, tt := range []struct {
		path, want, typ string
	}{
		{appearancePath, `window.chapelAppearance = {"theme":"system","scheme":"dark"};`, "text/javascript"},
		{"/", "app file", ""},
		{"/assets/index.js", "app file", ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if body := strings.TrimSpace(rec.Body.String()); body != tt.want {
			t.Errorf("%s: %q, want %q", tt.path, body, tt.want)
		}
		if tt.typ != "" && !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.typ) {
			t.Errorf("%s: Content-Type %q", tt.path, rec.Header().Get("Content-Type"))
		}
	}
}
