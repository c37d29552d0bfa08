package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// Import formats, as Result.Format names them.
const (
	SourceChapel   = "Chapel"
	SourceArchive  = "Chapel archive"
	SourceChatGPT  = "ChatGPT"
	SourceOpenWebU = "Open WebUI"
)

// Limits against files no export of these apps is: they get a sentence,
// not a machine out of memory.
const (
	MaxImportBytes   = 256 << 20 // the file
	MaxArchiveBytes  = 1 << 30   // everything inside an archive, uncompressed
	MaxArchiveFiles  = 100_000
	MaxImportMessage = 1_000_000 // messages in one import
)

// Result says what an import added and from which format.
type Result struct {
	store.ImportResult
	Format string `json:"format"`
}

// ImportFile imports the conversations in the file at path (Chapel's JSON
// or archive, ChatGPT's conversations.json or data-export zip, Open WebUI's
// chat export), all or nothing.
func ImportFile(ctx context.Context, st *store.Store, filePath string) (Result, error) {
	fi, err := os.Stat(filePath)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.NotFound, err, "cannot read %s", filePath)
	}
	if fi.IsDir() {
		return Result{}, apperr.New(apperr.Invalid, "%s is a folder; choose an export file", filePath)
	}
	if fi.Size() > MaxImportBytes {
		return Result{}, apperr.New(apperr.Invalid, "%s is %d MB; Chapel imports files up to %d MB", path.Base(filePath), fi.Size()>>20, MaxImportBytes>>20)
	}
	data, err := os.ReadFile(filePath)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.Unavailable, err, "cannot read %s", filePath)
	}
	return Import(ctx, st, data)
}

// Import imports the conversations in data, all or nothing.
func Import(ctx context.Context, st *store.Store, data []byte) (Result, error) {
	cs, format, err := Parse(data)
	if err != nil {
		return Result{}, err
	}
	n := 0
	for _, c := range cs {
		n += len(c.Messages)
	}
	if n > MaxImportMessage {
		return Result{}, apperr.New(apperr.Invalid, "this export holds %d messages; Chapel imports up to %d at once", n, MaxImportMessage)
	}
	res, err := st.ImportConversations(ctx, cs)
	return Result{ImportResult: res, Format: format}, err
}

// errUnknown is what a file of no known format gets.
var errUnknown = apperr.New(apperr.Invalid, "this file is not a Chapel, ChatGPT (conversations.json) or Open WebUI chat export")

// Parse reads the conversations in data and says which format they were in.
func Parse(data []byte) ([]store.ImportedConversation, string, error) {
	if len(data) > MaxImportBytes {
		return nil, "", apperr.New(apperr.Invalid, "the file is %d MB; Chapel imports files up to %d MB", len(data)>>20, MaxImportBytes>>20)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return parseZip(data)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	trimmed = bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf"))
	if len(trimmed) == 0 {
		return nil, "", apperr.New(apperr.Invalid, "the file is empty")
	}
	var items []json.RawMessage
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, "", jsonError(err)
		}
	case '{':
		items = []json.RawMessage{trimmed}
	default:
		return nil, "", errUnknown
	}
	if len(items) == 0 {
		return nil, "", apperr.New(apperr.Invalid, "the file holds no conversations")
	}
	var probe struct {
		Format  string          `json:"format"`
		Mapping json.RawMessage `json:"mapping"`
		Chat    json.RawMessage `json:"chat"`
	}
	if err := json.Unmarshal(items[0], &probe); err != nil {
		return nil, "", jsonError(err)
	}
	switch {
	case probe.Format == FormatConversation:
		cs, err := parseChapel(items)
		return cs, SourceChapel, err
	case probe.Mapping != nil:
		cs, err := parseChatGPT(items)
		return cs, SourceChatGPT, err
	case probe.Chat != nil:
		cs, err := parseOpenWebUI(items)
		return cs, SourceOpenWebU, err
	}
	return nil, "", errUnknown
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return apperr.Wrap(apperr.Invalid, err, "the file is not valid JSON (at byte %d): %s", syn.Offset, syn.Error())
	}
	return apperr.Wrap(apperr.Invalid, err, "the file does not have the structure of an export: %s", err.Error())
}

// parseZip reads a Chapel archive (manifest.json, conversations/*.json) or
// ChatGPT's data export (conversations.json inside the zip).
func parseZip(data []byte) ([]store.ImportedConversation, string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, "", apperr.Wrap(apperr.Invalid, err, "the archive is damaged: %s", err.Error())
	}
	if len(zr.File) > MaxArchiveFiles {
		return nil, "", apperr.New(apperr.Invalid, "the archive holds %d files; Chapel reads archives of up to %d", len(zr.File), MaxArchiveFiles)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > MaxArchiveBytes {
		return nil, "", apperr.New(apperr.Invalid, "the archive unpacks to %d MB; Chapel reads archives of up to %d MB", total>>20, MaxArchiveBytes>>20)
	}
	var convs []json.RawMessage
	for _, f := range zr.File {
		name := f.Name
		switch {
		case path.Base(name) == "conversations.json" && !strings.HasPrefix(name, "conversations/"):
			body, err := readZipFile(f)
			if err != nil {
				return nil, "", err
			}
			cs, format, err := Parse(body)
			if err == nil && format != SourceChatGPT {
				return nil, "", errUnknown
			}
			return cs, SourceChatGPT, err
		case strings.HasPrefix(name, "conversations/") && strings.HasSuffix(name, ".json"):
			body, err := readZipFile(f)
			if err != nil {
				return nil, "", err
			}
			convs = append(convs, body)
		}
	}
	if len(convs) == 0 {
		return nil, "", apperr.New(apperr.Invalid, "the archive holds no Chapel conversations or ChatGPT conversations.json")
	}
	cs, err := parseChapel(convs)
	return cs, SourceArchive, err
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "the archive's %s cannot be read", f.Name)
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, MaxImportBytes+1))
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "the archive's %s is damaged", f.Name)
	}
	if len(body) > MaxImportBytes {
		return nil, apperr.New(apperr.Invalid, "the archive's %s is larger than %d MB", f.Name, MaxImportBytes>>20)
	}
	return body, nil
}

// parseChapel reads Chapel's own conversation JSON.
func parseChapel(items []json.RawMessage) ([]store.ImportedConversation, error) {
	var out []store.ImportedConversation
	for i, raw := range items {
		var c Conversation
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, jsonError(err)
		}
		if c.Format != FormatConversation {
			return nil, apperr.New(apperr.Invalid, "item %d is not a Chapel conversation", i+1)
		}
		if c.Version > formatVersion {
			return nil, apperr.New(apperr.Invalid, "%q was exported by a newer Chapel (format %d); update Chapel to import it", c.Title, c.Version)
		}
		ic := store.ImportedConversation{Title: c.Title, Model: c.Model, Pinned: c.Pinned, CreatedAt: c.CreatedAt,
			UpdatedAt: c.UpdatedAt, LeafID: c.LeafID}
		for _, m := range c.Messages {
			ic.Messages = append(ic.Messages, store.Message{ID: m.ID, ParentID: m.ParentID, Role: m.Role, Content: m.Content,
				Thinking: m.Thinking, ThinkingMS: m.ThinkingMS, Status: m.Status, Error: m.Error, StopReason: m.StopReason,
				Model: m.Model, PromptTokens: m.PromptTokens, CompletionTokens: m.CompletionTokens,
				TokensPerSecond: m.TokensPerSecond, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt})
		}
		out = append(out, ic)
	}
	return out, nil
}

// seconds turns a Unix time in seconds (ChatGPT, Open WebUI; milliseconds
// when it is that large) into milliseconds.
func seconds(t float64) int64 {
	if t > 1e11 {
		return int64(t)
	}
	return int64(t * 1000)
}
