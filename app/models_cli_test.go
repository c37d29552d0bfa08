package app

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/download"
	"github.com/chapelapp/chapel/backend/download/dltest"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/models"
)

// servedModel serves a tiny synthetic chat model from 127.0.0.1 the way
// Hugging Face does and writes a catalogue naming it; sha overrides the
// catalogue's hash ("" keeps the true one).
func servedModel(t *testing.T, f dltest.Faults, sha string) (*dltest.Server, []byte, string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src.gguf")
	if err := gguf.WriteSynthetic(src, gguf.Shapes["tiny"], gguf.SynthOptions{Type: gguf.F32, Seed: 5, ChatTemplate: gguf.ChatMLTemplate}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	rev := strings.Repeat("e", 40)
	srv := dltest.New("test/tiny-GGUF", rev, "tiny-chat.gguf", data, f)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	if sha == "" {
		sha = srv.SHA256
	}
	catalogFile(t, hs.URL, rev, sha, int64(len(data)))
	return srv, data, hs.URL
}

func catalogFile(t *testing.T, host, rev, sha string, size int64) {
	t.Helper()
	m := models.CatalogModel{ID: "tiny-test", Name: "Tiny test", Kind: "chat", Repo: "test/tiny-GGUF", File: "tiny-chat.gguf",
		Revision: rev, SizeBytes: size, SHA256: sha, Parameters: "1M", Quantization: "F32", ContextLength: 1024,
		License: "MIT", TemplateFamily: "chatml", GoodAt: "tests"}
	b, _ := json.Marshal(models.Catalog{Version: 1, Host: host, Models: []models.CatalogModel{m}})
	path := filepath.Join(t.TempDir(), "catalog.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(models.EnvCatalogFile, path) // chapelCmd passes the environment on
}

// A `chapel models download` killed with SIGKILL mid-download resumes
// where it stopped; the model then chats.
func TestModelsDownloadKilledAndResumed(t *testing.T) {
	srv, data, _ := servedModel(t, dltest.Faults{Throttle: 250 * time.Millisecond}, "")
	home := t.TempDir()
	dir := filepath.Join(home, "models")
	part := download.PartPath(dir, "tiny-chat.gguf")

	cmd := chapelCmd(home, "models", "download", "tiny-test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if fi, err := os.Stat(part); err == nil && fi.Size() >= 128<<10 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no part grew; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	fi, err := os.Stat(part)
	if err != nil {
		t.Fatalf("the part is gone after the kill: %v", err)
	}
	killedAt := fi.Size()
	if killedAt >= int64(len(data)) {
		t.Fatalf("the download finished before the kill (%d bytes)", killedAt)
	}
	if _, err := os.Stat(filepath.Join(dir, "tiny-chat.gguf")); err == nil {
		t.Fatal("an unfinished file is in the models folder")
	}

	srv.SetFaults(dltest.Faults{})
	out, err := chapelCmd(home, "models", "download", "tiny-test").CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "already downloaded of Tiny test") || !strings.Contains(string(out), "SHA-256 verified") {
		t.Errorf("resume output:\n%s", out)
	}
	ranges := srv.Ranges()
	if last := ranges[len(ranges)-1]; !strings.HasPrefix(last, "bytes=") || last == "bytes=0-" {
		t.Errorf("the resumed GET asked for %q, want the rest after %d bytes", last, killedAt)
	}
	path := filepath.Join(dir, "tiny-chat.gguf")
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("resumed file differs: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.part*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}

	// The downloaded model chats (one engine thread, a short real generation).
	chat := chapelCmd(home, "chat", "--model", path, "--max-tokens", "8", "--temperature", "0", "hello")
	var reply, chatErr bytes.Buffer
	chat.Stdout, chat.Stderr = &reply, &chatErr
	if err := chat.Run(); err != nil {
		t.Fatalf("chat with the downloaded model: %v\n%s", err, chatErr.String())
	}
	if strings.TrimSpace(reply.String()) == "" {
		t.Errorf("empty reply; stderr: %s", chatErr.String())
	}

	// It is listed, from Chapel's own folder, described from its header.
	out, err = chapelCmd(home, "models", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var list []models.Entry
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range list {
		if e.Path == path {
			found = e.App == models.AppChapel && e.TemplateFamily == "chatml" && e.Valid
		}
	}
	if !found {
		t.Errorf("the downloaded model is not listed as Chapel's: %s", out)
	}
}

func TestModelsDownloadFailures(t *testing.T) {
	t.Run("hash mismatch", func(t *testing.T) {
		servedModel(t, dltest.Faults{}, strings.Repeat("0", 64))
		home := t.TempDir()
		out, err := chapelCmd(home, "models", "download", "tiny-test").CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
			t.Fatalf("exit %v", err)
		}
		if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); !strings.Contains(lines[len(lines)-1], "SHA-256") {
			t.Errorf("output:\n%s", out)
		}
		if left, _ := filepath.Glob(filepath.Join(home, "models", "*")); len(left) > 0 {
			t.Errorf("left in the models folder: %v", left)
		}
	})
	t.Run("wrong bytes", func(t *testing.T) {
		servedModel(t, dltest.Faults{Wrong: true}, "")
		home := t.TempDir()
		out, err := chapelCmd(home, "models", "download", "tiny-test").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "is damaged") {
			t.Fatalf("err %v, output:\n%s", err, out)
		}
	})
	t.Run("no network", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		host := "http://" + ln.Addr().String()
		ln.Close()
		catalogFile(t, host, strings.Repeat("e", 40), strings.Repeat("a", 64), 1000)
		start := time.Now()
		out, err := chapelCmd(t.TempDir(), "models", "download", "tiny-test").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "could not reach") {
			t.Fatalf("err %v, output:\n%s", err, out)
		}
		if d := time.Since(start); d > 60*time.Second {
			t.Errorf("took %s", d)
		}
	})
}

func TestModelsCatalogAndList(t *testing.T) {
	servedModel(t, dltest.Faults{}, "")
	home := t.TempDir()
	out, err := chapelCmd(home, "models", "catalog", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v models.CatalogView
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Models) != 1 || v.Machine.TotalMemory <= 0 || v.Machine.DiskFree <= 0 || !v.Models[0].Recommended || !v.Models[0].FitsMemory {
		t.Errorf("catalog %s", out)
	}
	// Another app's store under a fake home is listed, by the app's name for the model.
	fake := t.TempDir()
	blob := filepath.Join(fake, ".ollama", "models", "blobs", "sha256-"+strings.Repeat("ab", 32))
	os.MkdirAll(filepath.Dir(blob), 0o755)
	if err := gguf.WriteSynthetic(blob, gguf.Shapes["tiny"], gguf.SynthOptions{Type: gguf.F32, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	man := filepath.Join(fake, ".ollama", "models", "manifests", "registry.ollama.ai", "library", "tiny", "latest")
	os.MkdirAll(filepath.Dir(man), 0o755)
	os.WriteFile(man, []byte(`{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:`+strings.Repeat("ab", 32)+`"}]}`), 0o644)
	cmd := chapelCmd(home, "models")
	cmd.Env = append(cmd.Env, "HOME="+fake)
	out, err = cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "tiny:latest") || !strings.Contains(string(out), "Ollama") {
		t.Errorf("models:\n%s", out)
	}
}
