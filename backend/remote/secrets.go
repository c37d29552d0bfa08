package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/zalando/go-keyring"

	"github.com/chapelapp/chapel/backend/apperr"
)

// keyringService is the service name Chapel's keys go under in the OS's
// secret store.
const keyringService = "Chapel"

// Secrets keeps endpoints' API keys, by endpoint id, out of the database:
// in the OS's secret store (Secret Service on Linux, Keychain, Credential
// Manager) where there is one, else in a file only the user can read.
type Secrets struct {
	file     string // the fallback: a 0600 JSON file
	keyring  bool   // whether to try the OS's store at all
	mu       sync.Mutex
	fellBack bool // the OS's store failed once: the file is used from then on
}

// NewSecrets keeps keys in the OS's secret store, falling back to
// secrets/endpoint-keys.json under dataDir (mode 0600). On Linux without a
// D-Bus session (a headless box, CI) the store is not tried at all.
func NewSecrets(dataDir string) *Secrets {
	try := true
	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		try = false
	}
	return &Secrets{file: filepath.Join(dataDir, "secrets", "endpoint-keys.json"), keyring: try}
}

// newFileSecrets keeps keys in the file only.
func newFileSecrets(path string) *Secrets { return &Secrets{file: path} }

func account(id string) string { return "endpoint:" + id }

func (s *Secrets) useKeyring() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyring && !s.fellBack
}

func (s *Secrets) fallBack() {
	s.mu.Lock()
	s.fellBack = true
	s.mu.Unlock()
}

// InFile reports whether keys go to the file (no OS secret store works).
func (s *Secrets) InFile() bool { return !s.useKeyring() }

// Set stores the key of endpoint id.
func (s *Secrets) Set(id, key string) error {
	if s.useKeyring() {
		if err := keyring.Set(keyringService, account(id), key); err == nil {
			s.deleteFromFile(id) // an older copy
			return nil
		}
		s.fallBack()
	}
	return s.update(func(m map[string]string) { m[id] = key })
}

// Get returns the key of endpoint id; "" when it has none.
func (s *Secrets) Get(id string) (string, error) {
	if s.useKeyring() {
		key, err := keyring.Get(keyringService, account(id))
		switch {
		case err == nil:
			return key, nil
		case !errors.Is(err, keyring.ErrNotFound):
			s.fallBack()
		}
	}
	m, err := s.read()
	if err != nil {
		return "", err
	}
	return m[id], nil
}

// Delete forgets the key of endpoint id, wherever it is.
func (s *Secrets) Delete(id string) error {
	if s.useKeyring() {
		if err := keyring.Delete(keyringService, account(id)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			s.fallBack()
		}
	}
	return s.deleteFromFile(id)
}

func (s *Secrets) deleteFromFile(id string) error {
	m, err := s.read()
	if err != nil || m[id] == "" {
		return err
	}
	return s.update(func(m map[string]string) { delete(m, id) })
}

func (s *Secrets) read() (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readLocked()
}

func (s *Secrets) readLocked() (map[string]string, error) {
	m := map[string]string{}
	b, err := os.ReadFile(s.file)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "could not read the file of API keys")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "the file of API keys %s is damaged", s.file)
	}
	return m, nil
}

// update changes the file: written whole to a 0600 temporary file in a
// 0700 folder, then renamed over the old one.
func (s *Secrets) update(fn func(map[string]string)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.readLocked()
	if err != nil {
		return err
	}
	fn(m)
	dir := filepath.Dir(s.file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return apperr.Wrap(apperr.Internal, err, "could not make the folder for API keys")
	}
	os.Chmod(dir, 0o700)
	b, _ := json.Marshal(m)
	tmp, err := os.CreateTemp(dir, ".keys-*")
	if err != nil {
		return apperr.Wrap(apperr.Internal, err, "could not save the API key")
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return apperr.Wrap(apperr.Internal, err, "could not protect the file of API keys")
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return apperr.Wrap(apperr.Internal, err, "could not save the API key")
	}
	if err := tmp.Close(); err != nil {
		return apperr.Wrap(apperr.Internal, err, "could not save the API key")
	}
	if err := os.Rename(tmp.Name(), s.file); err != nil {
		return apperr.Wrap(apperr.Internal, err, "could not save the API key")
	}
	return nil
}

// String describes where keys go, for logs.
func (s *Secrets) String() string {
	if s.useKeyring() {
		return "the system's secret store"
	}
	return fmt.Sprintf("%s (readable by this user only)", s.file)
}
