package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/chapelapp/chapel/backend/apperr"
)

// SettingKey is the settings key holding the endpoints the user added
// (without their keys, which Secrets keeps).
const SettingKey = "engines.endpoints"

// Settings is where the endpoint list is kept (store.Store).
type Settings interface {
	GetSetting(ctx context.Context, key string, dst any) (bool, error)
	SetSetting(ctx context.Context, key string, v any) error
}

// Endpoint is a server the user added. Its API key is never part of it.
type Endpoint struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	BaseURL string `json:"base_url"`
	Model   string `json:"model"`   // the model chats use
	HasKey  bool   `json:"has_key"` // an API key is stored for it
	// Summaries: its model takes map steps of summaries beside the local engine.
	Summaries bool `json:"summaries"`
}

// Sharing lists the Refs of the endpoints that take summary steps.
func (e *Endpoints) Sharing(ctx context.Context) ([]string, error) {
	list, err := e.List(ctx)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, ep := range list {
		if ep.Summaries && ep.Model != "" {
			refs = append(refs, ep.Ref())
		}
	}
	return refs, nil
}

// Ref is how a conversation names the endpoint's model.
func (e Endpoint) Ref() string { return Ref{Endpoint: e.ID, Model: e.Model}.String() }

// Endpoints keeps the list of endpoints and their keys.
type Endpoints struct {
	st  Settings
	sec *Secrets
	mu  sync.Mutex
}

// NewEndpoints keeps endpoints in st and their keys in sec.
func NewEndpoints(st Settings, sec *Secrets) *Endpoints { return &Endpoints{st: st, sec: sec} }

// List returns the endpoints in the order they were added.
func (e *Endpoints) List(ctx context.Context) ([]Endpoint, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.list(ctx)
}

func (e *Endpoints) list(ctx context.Context) ([]Endpoint, error) {
	var list []Endpoint
	if _, err := e.st.GetSetting(ctx, SettingKey, &list); err != nil {
		return nil, err
	}
	if list == nil {
		list = []Endpoint{}
	}
	return list, nil
}

// Get returns one endpoint.
func (e *Endpoints) Get(ctx context.Context, id string) (Endpoint, error) {
	list, err := e.List(ctx)
	if err != nil {
		return Endpoint{}, err
	}
	for _, ep := range list {
		if ep.ID == id {
			return ep, nil
		}
	}
	return Endpoint{}, apperr.New(apperr.NotFound, "there is no endpoint %q any more; add it again in Settings → Engines", id)
}

// check validates and tidies an endpoint's fields.
func check(ep Endpoint) (Endpoint, error) {
	ep.Name, ep.Model = strings.TrimSpace(ep.Name), strings.TrimSpace(ep.Model)
	base, _, err := ParseBaseURL(ep.BaseURL)
	if err != nil {
		return ep, err
	}
	ep.BaseURL = base.String()
	if ep.Name == "" {
		ep.Name = base.Host
	}
	if len(ep.Name) > 80 {
		return ep, apperr.New(apperr.Invalid, "the endpoint's name is too long (80 characters at most)")
	}
	return ep, nil
}

// Save adds ep (an empty ID) or changes the endpoint with its ID. apiKey
// nil keeps the stored key; "" removes it; anything else replaces it.
func (e *Endpoints) Save(ctx context.Context, ep Endpoint, apiKey *string) (Endpoint, error) {
	ep, err := check(ep)
	if err != nil {
		return Endpoint{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	list, err := e.list(ctx)
	if err != nil {
		return Endpoint{}, err
	}
	at := -1
	for i, x := range list {
		if ep.ID != "" && x.ID == ep.ID {
			at = i
		}
		if x.ID != ep.ID && strings.EqualFold(x.Name, ep.Name) {
			return Endpoint{}, apperr.New(apperr.Conflict, "there is already an endpoint named %q", ep.Name)
		}
	}
	switch {
	case ep.ID == "":
		ep.ID = newEndpointID()
	case at < 0:
		return Endpoint{}, apperr.New(apperr.NotFound, "there is no endpoint %q to change", ep.ID)
	default:
		ep.HasKey = list[at].HasKey
	}
	if apiKey != nil {
		key := strings.TrimSpace(*apiKey)
		if key == "" {
			err = e.sec.Delete(ep.ID)
		} else {
			err = e.sec.Set(ep.ID, key)
		}
		if err != nil {
			return Endpoint{}, err
		}
		ep.HasKey = key != ""
	}
	if at < 0 {
		list = append(list, ep)
	} else {
		list[at] = ep
	}
	if err := e.st.SetSetting(ctx, SettingKey, list); err != nil {
		return Endpoint{}, err
	}
	return ep, nil
}

// Delete removes an endpoint and its key.
func (e *Endpoints) Delete(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	list, err := e.list(ctx)
	if err != nil {
		return err
	}
	out := list[:0]
	for _, ep := range list {
		if ep.ID != id {
			out = append(out, ep)
		}
	}
	if len(out) == len(list) {
		return apperr.New(apperr.NotFound, "there is no endpoint %q", id)
	}
	if err := e.sec.Delete(id); err != nil {
		return err
	}
	return e.st.SetSetting(ctx, SettingKey, out)
}

// Config is what it takes to reach endpoint id, its key included.
func (e *Endpoints) Config(ctx context.Context, id string) (Config, error) {
	ep, err := e.Get(ctx, id)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{ID: ep.ID, Name: ep.Name, BaseURL: ep.BaseURL, Model: ep.Model}
	if ep.HasKey {
		if cfg.APIKey, err = e.sec.Get(ep.ID); err != nil {
			return Config{}, err
		}
	}
	return cfg, nil
}

// Test connects to an endpoint: a saved one (its stored key unless apiKey
// is given) or one being added.
func (e *Endpoints) Test(ctx context.Context, ep Endpoint, apiKey *string) (TestResult, error) {
	ep, err := check(ep)
	if err != nil {
		return TestResult{}, err
	}
	cfg := Config{ID: ep.ID, Name: ep.Name, BaseURL: ep.BaseURL}
	switch {
	case apiKey != nil:
		cfg.APIKey = strings.TrimSpace(*apiKey)
	case ep.ID != "":
		if saved, err := e.Config(ctx, ep.ID); err == nil {
			cfg.APIKey = saved.APIKey
		}
	}
	eng, err := New(cfg)
	if err != nil {
		return TestResult{}, err
	}
	defer eng.Close()
	res, err := eng.Test(ctx)
	if err != nil {
		return TestResult{}, err
	}
	if ep.Model != "" && !hasModel(res.Models, ep.Model) {
		return res, eng.noModel(ep.Model, res.Models)
	}
	return res, nil
}

func hasModel(ms []RemoteModel, id string) bool {
	for _, m := range ms {
		if m.ID == id {
			return true
		}
	}
	return false
}

func newEndpointID() string {
	b := make([]byte, 5)
	rand.Read(b)
	return "e" + hex.EncodeToString(b)
}
