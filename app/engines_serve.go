package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/serve"
)

// ServeState is whether this Chapel serves its local model as an
// OpenAI-compatible API (Settings → Engines; off until the user starts it).
type ServeState struct {
	Running bool   `json:"running"`
	URL     string `json:"url"`
	Token   string `json:"token,omitempty"` // only in StartServing's answer: shown once
}

// apiServer is the window's API server, when running.
var apiServer struct {
	mu  sync.Mutex
	srv *serve.Server
	url string
}

// StartServing serves the local model on 127.0.0.1:port (0 picks a free
// port) with a new token, returned this once. API clients wait behind the
// window's own replies.
func (a *App) StartServing(port int) (ServeState, error) {
	apiServer.mu.Lock()
	defer apiServer.mu.Unlock()
	if apiServer.srv != nil {
		return ServeState{}, apperr.New(apperr.Conflict, "Chapel already serves at %s; stop it first", apiServer.url)
	}
	if port < 0 || port > 65535 {
		return ServeState{}, apperr.New(apperr.Invalid, "the port must be between 1 and 65535")
	}
	token, err := serve.NewToken()
	if err != nil {
		return ServeState{}, err
	}
	srv, err := serve.New(a.svc.queue.Background(), serve.Config{Addr: fmt.Sprintf("127.0.0.1:%d", port), Token: token, Log: a.svc.log,
		NoModel: a.svc.noModelReason})
	if err != nil {
		return ServeState{}, err
	}
	addr, err := srv.Listen()
	if err != nil {
		return ServeState{}, err
	}
	url := "http://" + addr + "/v1"
	go func() {
		if err := srv.Serve(); err != nil {
			a.svc.log.Error("the API server stopped", "err", err)
		}
	}()
	apiServer.srv, apiServer.url = srv, url
	a.svc.log.Info("serving the local model", "url", url) // never the token
	return ServeState{Running: true, URL: url, Token: token}, nil
}

// StopServing stops the API server; replies under way are cut.
func (a *App) StopServing() error {
	apiServer.mu.Lock()
	srv := apiServer.srv
	apiServer.srv, apiServer.url = nil, ""
	apiServer.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	return nil
}

// ServingState reports whether Chapel serves, and where (never the token).
func (a *App) ServingState() ServeState {
	apiServer.mu.Lock()
	defer apiServer.mu.Unlock()
	return ServeState{Running: apiServer.srv != nil, URL: apiServer.url}
}
