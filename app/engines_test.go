package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/store"
)

// `chapel serve` in one process, `chapel chat --endpoint` in another: the
// reply streams over real HTTP and is saved like any chat; the token is
// required.
func TestChatThroughChapelServe(t *testing.T) {
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	serveHome, chatHome := t.TempDir(), t.TempDir()
	srv := chapelCmd(serveHome, "serve", "--model", model, "--port", "0", "--threads", "1", "--token", "serve-test-token")
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	var url string
	select {
	case line := <-lines:
		m := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/v1)$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("serve printed %q", line)
		}
		url = m[1]
	case <-time.After(60 * time.Second):
		t.Fatal("chapel serve did not start within 60 s")
	}

	// Without the token: 401.
	resp, err := http.Get(url + "/models")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d %s", resp.StatusCode, body)
	}

	// With it: the model's name.
	req, _ := http.NewRequest(http.MethodGet, url+"/models", nil)
	req.Header.Set("Authorization", "Bearer serve-test-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var models struct {
		Data []struct{ ID string } `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	if err != nil || len(models.Data) != 1 {
		t.Fatalf("models: %v %v", models, err)
	}
	name := models.Data[0].ID

	chat := chapelCmd(chatHome, "chat", "--endpoint", url, "--api-key", "serve-test-token", "--model", name,
		"--max-tokens", "6", "--temperature", "0", "Hello there")
	got, err := chat.Output()
	if err != nil {
		t.Fatalf("chat through the endpoint: %v (%s)", err, got)
	}
	if strings.TrimSpace(string(got)) == "" {
		t.Error("the reply through the endpoint is empty")
	}
	st, err := store.Open(context.Background(), filepath.Join(chatHome, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.ListConversations(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("conversations %v %v", list, err)
	}
	detail, err := st.GetConversation(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(detail.Model, "endpoint:url-127.0.0.1:") || !strings.HasSuffix(detail.Model, "/"+name) {
		t.Errorf("the conversation's model is %q, want the endpoint's", detail.Model)
	}

	// A wrong key: one sentence, exit 1, no key in it.
	bad := chapelCmd(chatHome, "chat", "--endpoint", url, "--api-key", "not-the-token", "--model", name, "Hello")
	msg, err := bad.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "refused the API key") || strings.Contains(string(msg), "not-the-token") {
		t.Errorf("wrong key: %v %s", err, msg)
	}
}
