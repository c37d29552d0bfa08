// Package serve owns Chapel as a server: an OpenAI-compatible HTTP API on
// the loopback address (GET /v1/models, POST /v1/chat/completions streamed
// or not, POST /v1/completions, POST /v1/embeddings answered 501 since the
// engine only generates text, POST /tokenize), guarded by a bearer token,
// in front of the loaded local engine. Its Queue lets the window's own
// chat go before API clients.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// DefaultPort is the port `chapel serve` listens on unless told.
const DefaultPort = 8095

// DefaultMaxBody is the largest request body accepted (a long conversation
// with a document pasted in fits).
const DefaultMaxBody = 8 << 20

// Config sets up a Server.
type Config struct {
	Addr    string       // host:port; "" = 127.0.0.1:DefaultPort; port 0 picks a free one
	Token   string       // the bearer token every /v1 request must carry (required)
	MaxBody int64        // 0 = DefaultMaxBody
	Log     *slog.Logger // nil: discard
	// NoModel says why no model is loaded when something knows (the
	// model could not be loaded again after the engine restarted); ""
	// or nil: the plain "start it with --model" answer.
	NoModel func() string
}

// Server is the API. Start it with Listen and Serve, or use Handler.
type Server struct {
	eng     engine.Engine
	token   [32]byte // the token's SHA-256: compared in constant time
	maxBody int64
	noModel func() string
	log     *slog.Logger
	addr    string
	srv     *http.Server
	ln      net.Listener
	created int64
}

// New returns a Server answering with eng (usually a Queue's Background).
func New(eng engine.Engine, cfg Config) (*Server, error) {
	if len(cfg.Token) < 8 {
		return nil, apperr.New(apperr.Invalid, "the API token must be at least 8 characters")
	}
	if cfg.Addr == "" {
		cfg.Addr = fmt.Sprintf("127.0.0.1:%d", DefaultPort)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{eng: eng, token: sha256.Sum256([]byte(cfg.Token)), maxBody: cfg.MaxBody, noModel: cfg.NoModel, log: cfg.Log,
		addr: cfg.Addr, created: time.Now().Unix()}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// NewToken returns a fresh random token ("chapel-" and 43 characters).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "could not make a token")
	}
	return "chapel-" + base64.RawURLEncoding.EncodeToString(b), nil
}

// Listen opens the listening socket and returns its address.
func (s *Server) Listen() (string, error) {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			return "", apperr.New(apperr.Conflict, "port %s is already in use; choose another port", portOf(s.addr))
		}
		return "", apperr.Wrap(apperr.Unavailable, err, "could not listen on %s", s.addr)
	}
	s.ln = ln
	return ln.Addr().String(), nil
}

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return p
}

// Serve answers requests until Shutdown; it returns nil after Shutdown.
func (s *Server) Serve() error {
	if s.ln == nil {
		if _, err := s.Listen(); err != nil {
			return err
		}
	}
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting requests and ends the ones under way (streams are
// cut, their generations stopped) once ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	return err
}

// Handler is the API's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /v1/models", s.auth(s.models))
	mux.Handle("POST /v1/chat/completions", s.auth(s.chatCompletions))
	mux.Handle("POST /v1/completions", s.auth(s.completions))
	mux.Handle("POST /v1/embeddings", s.auth(s.embeddings))
	mux.Handle("POST /tokenize", s.auth(s.tokenize))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found_error", fmt.Sprintf("Chapel has no %s %s; it serves GET /v1/models, POST /v1/chat/completions, POST /v1/completions", r.Method, r.URL.Path))
	})
	return mux
}

// auth lets through requests with the right bearer token.
func (s *Server) auth(next func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			tok, ok = strings.CutPrefix(h, "bearer ")
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !ok || subtle.ConstantTimeCompare(sum[:], s.token[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="chapel"`)
			msg := "this Chapel needs its API token: send the header Authorization: Bearer TOKEN"
			if ok {
				msg = "the API token is wrong; use the one `chapel serve` printed when it started"
			}
			writeError(w, http.StatusUnauthorized, "authentication_error", msg)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		next(w, r)
	})
}

// modelEntry is one model in GET /v1/models.
type modelEntry struct {
	ID          string `json:"id"`
	Object      string `json:"object"`
	Created     int64  `json:"created"`
	OwnedBy     string `json:"owned_by"`
	ContextLen  int    `json:"context_length"`
	MaxModelLen int    `json:"max_model_len"`
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	data := []modelEntry{}
	if info, ok := s.eng.Model(r.Context()); ok {
		data = append(data, modelEntry{ID: modelID(info), Object: "model", Created: s.created, OwnedBy: "chapel",
			ContextLen: info.ContextSize, MaxModelLen: info.ContextSize})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// modelID is the loaded model's name in the API.
func modelID(info engine.ModelInfo) string { return info.Name }

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "not_implemented_error",
		"this Chapel cannot make embeddings: its engine runs the model for text generation only")
}

func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Content *string `json:"content"`
		Prompt  *string `json:"prompt"`
	}
	if !s.decode(w, r, &body) {
		return
	}
	text := body.Content
	if text == nil {
		text = body.Prompt
	}
	if text == nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", `send the text to count as "content"`)
		return
	}
	if _, ok := s.loaded(w, r, ""); !ok {
		return
	}
	counts, err := s.eng.CountTokens(r.Context(), []string{*text})
	if err != nil {
		s.engineError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": counts[0]})
}

// loaded checks that a model is loaded and, when model is set, that it is
// the one asked for.
func (s *Server) loaded(w http.ResponseWriter, r *http.Request, model string) (engine.ModelInfo, bool) {
	info, ok := s.eng.Model(r.Context())
	if !ok {
		msg := "no model is loaded in this Chapel; start it with --model PATH"
		if s.noModel != nil {
			if why := s.noModel(); why != "" {
				msg = "no model is loaded in this Chapel: " + why
			}
		}
		writeError(w, http.StatusServiceUnavailable, "unavailable_error", msg)
		return info, false
	}
	if model != "" && model != modelID(info) && model != info.Path {
		writeError(w, http.StatusNotFound, "not_found_error", fmt.Sprintf("the model %q is not loaded here; this Chapel serves %q", model, modelID(info)))
		return info, false
	}
	return info, true
}

// decode reads a JSON body into v, answering 400 or 413 when it cannot.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(v)
	var tooBig *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error",
			fmt.Sprintf("the request body is larger than this Chapel accepts (%d MiB)", s.maxBody>>20))
	case errors.As(err, &syn):
		writeError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("the request body is not valid JSON: %s at byte %d", syn.Error(), syn.Offset))
	case errors.As(err, &typ):
		writeError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("the field %q should be %s, not %s", jsonField(typ.Field), jsonKind(typ.Type), withArticle(typ.Value)))
	case errors.Is(err, errEmpty) || err.Error() == "EOF":
		writeError(w, http.StatusBadRequest, "invalid_request_error", "the request has no body; send a JSON object")
	default:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "the request body is not valid JSON: "+err.Error())
	}
	return false
}

var errEmpty = errors.New("empty body")

// jsonField is a decoding error's field path as the client wrote it: Go
// names the structs a request type embeds in the path
// ("samplingFields.max_tokens"), and the API's own names are all lower case.
func jsonField(path string) string {
	var keep []string
	for _, part := range strings.Split(path, ".") {
		if part != strings.ToLower(part) {
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, ".")
}

// jsonKind says in JSON's words what a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}

// withArticle: the JSON value kinds the decoder reports ("string",
// "number 1.5", "array", "object", "bool") as a phrase.
func withArticle(v string) string {
	switch {
	case v == "array" || v == "object":
		return "an " + v
	case v == "bool":
		return "true or false"
	case strings.HasPrefix(v, "number "):
		return "the " + v
	}
	return "a " + v
}

// engineError answers an engine's error with its sentence.
func (s *Server) engineError(w http.ResponseWriter, err error) {
	status, typ := http.StatusInternalServerError, "server_error"
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		status, typ = http.StatusBadRequest, "invalid_request_error"
	case apperr.NotFound:
		status, typ = http.StatusNotFound, "not_found_error"
	case apperr.Unavailable:
		status, typ = http.StatusServiceUnavailable, "unavailable_error"
	}
	if status == http.StatusInternalServerError {
		s.log.Error("API request failed", "err", err)
	}
	writeError(w, status, typ, apperr.Message(err))
}

// apiError is the error body, as OpenAI-compatible servers send it.
type apiError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    int    `json:"code"`
	} `json:"error"`
}

func errorBody(status int, typ, msg string) apiError {
	var e apiError
	e.Error.Message, e.Error.Type, e.Error.Code = msg, typ, status
	return e
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, errorBody(status, typ, msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
