package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/store"
)

// startServe runs `chapel serve` (this test binary) on a free port with the
// token serve-test-token, and returns its base URL and process.
func startServe(t *testing.T, model string) (string, *exec.Cmd) {
	t.Helper()
	srv := chapelCmd(t.TempDir(), "serve", "--model", model, "--port", "0", "--threads", "1", "--token", "serve-test-token")
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
	select {
	case line := <-lines:
		m := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/v1)$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("serve printed %q", line)
		}
		return m[1], srv
	case <-time.After(60 * time.Second):
		t.Fatal("chapel serve did not start within 60 s")
	}
	return "", nil
}

// A summary's map steps split between the local engine and a second Chapel;
// the second Chapel is killed mid-summary and the summary completes
// locally, every piece there.
func TestSummaryOnTwoEnginesSurvivesTheEndpointDying(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a summary on two engines")
	}
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	url, srv := startServe(t, model)
	home := t.TempDir()
	doc := filepath.Join(t.TempDir(), "valleys.md")
	if err := os.WriteFile(doc, []byte(longText(40)), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := chapelCmd(home, "summarize", "--model", model, "--endpoint", url, "--api-key", "serve-test-token", "--json", doc)
	var stdout, stderr bytes.Buffer
	sum.Stdout, sum.Stderr = &stdout, &stderr
	if err := sum.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sum.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for killed := false; !killed; {
		select {
		case err := <-done:
			t.Fatalf("the summary ended before the endpoint was killed: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := os.Stat(filepath.Join(home, "chapel.db")); err == nil && len(savedPieces(t, home)) >= 6 {
			srv.Process.Kill()
			killed = true
		}
		if time.Now().After(deadline) {
			sum.Process.Kill()
			t.Fatalf("no pieces within a minute:\n%s", stderr.String())
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("summary: %v\n%s", err, stderr.String())
	}
	var got summaryJSON
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("--json output %q: %v", stdout.String(), err)
	}
	if got.Status != store.SummaryComplete || got.ChunksSummarized != got.Chunks || !strings.HasPrefix(got.Coverage, "Covers ") {
		t.Errorf("the summary after the endpoint died: %+v", got)
	}
	tally := stderr.String()
	if !strings.Contains(tally, "summary steps by 127.0.0.1:") || !strings.Contains(tally, "summary steps by engine worker") {
		t.Errorf("both engines should have taken steps:\n%s", tally)
	}
	t.Logf("%s", regexp.MustCompile(`(?m)^summary steps by .*$`).FindAllString(tally, -1))
}

// `chapel serve` in one process, `chapel chat --endpoint` in another: the
// reply streams over real HTTP and is saved like any chat; the token is
// required.
func TestChatThroughChapelServe(t *testing.T) {
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	chatHome := t.TempDir()
	url, _ := startServe(t, model)

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
