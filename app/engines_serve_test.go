package app

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// Serving from the window: off until started, the token shown once, the
// loaded local model answered with it and refused without it, and nothing
// listening after Stop.
func TestServingFromTheWindow(t *testing.T) {
	a, _ := newTestApp(t)
	defer a.StopServing()
	if s := a.ServingState(); s.Running {
		t.Fatalf("serving before anyone asked: %+v", s)
	}
	info, err := a.LoadModel(testmodel.Tiny(t, gguf.ChatMLTemplate))
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.StartServing(0)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running || !strings.HasPrefix(st.URL, "http://127.0.0.1:") || len(st.Token) < 20 {
		t.Fatalf("started: %+v", st)
	}
	if again := a.ServingState(); !again.Running || again.URL != st.URL || again.Token != "" {
		t.Errorf("the state shows %+v (the token must not show again)", again)
	}
	if _, err := a.StartServing(0); err == nil {
		t.Error("a second server started")
	}
	get := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, st.URL+"/models", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(""); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d %s", code, body)
	}
	code, body := get(st.Token)
	var list struct {
		Data []struct{ ID string } `json:"data"`
	}
	json.Unmarshal([]byte(body), &list)
	if code != 200 || len(list.Data) != 1 || list.Data[0].ID != info.Name {
		t.Errorf("with the token: %d %s, want the model %q", code, body, info.Name)
	}
	// A reply through the API, while the window's engine is the same one.
	req, _ := http.NewRequest(http.MethodPost, st.URL+"/chat/completions",
		strings.NewReader(`{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}`))
	req.Header.Set("Authorization", "Bearer "+st.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"chat.completion"`) {
		t.Errorf("chat completion: %d %s", resp.StatusCode, b)
	}
	if err := a.StopServing(); err != nil {
		t.Fatal(err)
	}
	if code, body := get(st.Token); code != 0 || !strings.Contains(body, "refused") {
		t.Errorf("after stop: %d %s", code, body)
	}
}
