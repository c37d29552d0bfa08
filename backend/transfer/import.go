package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
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
	// Claude's data export (claude.ai: Settings, Privacy, Export data): a
	// zip whose conversations.json lists conversations with their
	// chat_messages.
	SourceClaude = "Claude"
)

// Limits against files no export of these apps is: they get a sentence,
// not a machine out of memory.
const (
	MaxImportBytes   = 256 << 20 // the file
	MaxArchiveBytes  = 1 << 30   // everything inside an archive, uncompressed
	MaxArchiveFiles  = 100_000
	MaxImportMessage = 1_000_000 // messages in one import
)

// Result says what an import added (and skipped) and from which format.
type Result struct {
	store.ImportResult
	Format string `json:"format"`
}

// Options tune an import.
type Options struct {
	// Progress, when set, hears how many conversations were read so far,
	// after each one.
	Progress func(read int)
}

// ImportFile imports the conversations in the file at path (Chapel's JSON
// or archive, ChatGPT's or Claude's conversations.json or data-export zip,
// Open WebUI's chat export), all or nothing; see ImportFileWith.
func ImportFile(ctx context.Context, st *store.Store, filePath string) (Result, error) {
	return ImportFileWith(ctx, st, filePath, Options{})
}

// ImportFileWith imports the file at path, all or nothing. The file is
// read as it is imported, one conversation at a time, never whole; ctx
// ending stops the import and leaves the database as it was (an error
// coded apperr.Canceled). Conversations an earlier import brought already
// are skipped and counted in Result.Skipped.
func ImportFileWith(ctx context.Context, st *store.Store, filePath string, opt Options) (Result, error) {
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
	f, err := os.Open(filePath)
	if err != nil {
		code := apperr.Unavailable
		if errors.Is(err, fs.ErrNotExist) {
			code = apperr.NotFound
		}
		return Result{}, apperr.Wrap(code, err, "cannot read %s", filePath)
	}
	defer f.Close()
	return importFrom(ctx, st, f, fi.Size(), opt)
}

// Import imports the conversations in data, all or nothing.
func Import(ctx context.Context, st *store.Store, data []byte) (Result, error) {
	if len(data) > MaxImportBytes {
		return Result{}, apperr.New(apperr.Invalid, "the file is %d MB; Chapel imports files up to %d MB", len(data)>>20, MaxImportBytes>>20)
	}
	return importFrom(ctx, st, bytes.NewReader(data), int64(len(data)), Options{})
}

func importFrom(ctx context.Context, st *store.Store, r io.ReaderAt, size int64, opt Options) (Result, error) {
	src, err := open(ctx, r, size)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, apperr.Wrap(apperr.Canceled, ctx.Err(), "the import was stopped")
		}
		return Result{}, err
	}
	defer src.close()
	read, messages := 0, 0
	res, err := st.ImportStream(ctx, func() (store.ImportedConversation, error) {
		ic, err := src.next()
		if err != nil {
			return ic, err
		}
		read++
		if messages += len(ic.Messages); messages > MaxImportMessage {
			return ic, apperr.New(apperr.Invalid, "this export holds more than %d messages; Chapel imports up to %d at once", MaxImportMessage, MaxImportMessage)
		}
		if opt.Progress != nil {
			opt.Progress(read)
		}
		return ic, nil
	})
	return Result{ImportResult: res, Format: src.format}, err
}

// source yields an export's conversations one at a time (io.EOF after the
// last), reading the file as it goes.
type source struct {
	format string
	next   func() (store.ImportedConversation, error)
	close  func() error
}

// errUnknown is what a file of no known format gets.
var errUnknown = apperr.New(apperr.Invalid, "this file is not a Chapel, ChatGPT, Claude (conversations.json) or Open WebUI chat export")

// open reads the start of the export in r, enough to know its format and
// to refuse a file of no known one before anything is imported.
func open(ctx context.Context, r io.ReaderAt, size int64) (*source, error) {
	head := make([]byte, 4)
	n, _ := r.ReadAt(head, 0)
	if bytes.Equal(head[:n], []byte("PK\x03\x04")) {
		return openZip(ctx, r, size)
	}
	return openJSON(ctx, io.NewSectionReader(r, 0, size), "the file", "cannot be read")
}

// openZip reads a Chapel archive (manifest.json, conversations/*.json) or
// ChatGPT's or Claude's data export (conversations.json inside the zip).
func openZip(ctx context.Context, r io.ReaderAt, size int64) (*source, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "the archive is damaged")
	}
	if len(zr.File) > MaxArchiveFiles {
		return nil, apperr.New(apperr.Invalid, "the archive holds %d files; Chapel reads archives of up to %d", len(zr.File), MaxArchiveFiles)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > MaxArchiveBytes {
		return nil, apperr.New(apperr.Invalid, "the archive unpacks to %d MB; Chapel reads archives of up to %d MB", total>>20, MaxArchiveBytes>>20)
	}
	var convs []*zip.File
	for _, f := range zr.File {
		name := f.Name
		switch {
		case path.Base(name) == "conversations.json" && !strings.HasPrefix(name, "conversations/"):
			return openZippedExport(ctx, f)
		case strings.HasPrefix(name, "conversations/") && strings.HasSuffix(name, ".json"):
			convs = append(convs, f)
		}
	}
	if len(convs) == 0 {
		return nil, apperr.New(apperr.Invalid, "the archive holds no Chapel conversations and no conversations.json of ChatGPT or Claude")
	}
	i := 0
	next := func() (store.ImportedConversation, error) {
		if i == len(convs) {
			return store.ImportedConversation{}, io.EOF
		}
		body, err := readZipFile(ctx, convs[i])
		if err != nil {
			return store.ImportedConversation{}, err
		}
		i++
		return parseChapel(body, i-1)
	}
	return &source{format: SourceArchive, next: next, close: func() error { return nil }}, nil
}

// openZippedExport reads the conversations.json of ChatGPT's or Claude's
// data export as it unpacks.
func openZippedExport(ctx context.Context, f *zip.File) (*source, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "the archive's %s cannot be read", f.Name)
	}
	src, err := openJSON(ctx, rc, "the archive's "+f.Name, "is damaged")
	if err == nil && src.format != SourceChatGPT && src.format != SourceClaude {
		err = errUnknown
	}
	if err != nil {
		rc.Close()
		return nil, err
	}
	src.close = rc.Close
	return src, nil
}

func readZipFile(ctx context.Context, f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "the archive's %s cannot be read", f.Name)
	}
	defer rc.Close()
	return io.ReadAll(&guarded{stopped: ctx.Err, r: rc, limit: MaxImportBytes, what: "the archive's " + f.Name, broken: "is damaged"})
}

// parseChapel reads conversation i (from 0) of Chapel's own JSON.
func parseChapel(raw json.RawMessage, i int) (store.ImportedConversation, error) {
	var c Conversation
	if err := json.Unmarshal(raw, &c); err != nil {
		return store.ImportedConversation{}, jsonError(err)
	}
	if c.Format != FormatConversation {
		return store.ImportedConversation{}, apperr.New(apperr.Invalid, "item %d is not a Chapel conversation", i+1)
	}
	if c.Version > formatVersion {
		return store.ImportedConversation{}, apperr.New(apperr.Invalid, "%q was exported by a newer Chapel (format %d); update Chapel to import it", c.Title, c.Version)
	}
	ic := store.ImportedConversation{Title: c.Title, Model: c.Model, Pinned: c.Pinned, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, LeafID: c.LeafID, Instructions: c.Instructions, Messages: make([]store.Message, 0, len(c.Messages))}
	for _, m := range c.Messages {
		ic.Messages = append(ic.Messages, store.Message{ID: m.ID, ParentID: m.ParentID, Role: m.Role, Content: m.Content,
			Thinking: m.Thinking, ThinkingMS: m.ThinkingMS, Status: m.Status, Error: m.Error, StopReason: m.StopReason,
			Model: m.Model, PromptTokens: m.PromptTokens, CompletionTokens: m.CompletionTokens,
			TokensPerSecond: m.TokensPerSecond, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt})
	}
	return ic, nil
}

// seconds turns a Unix time in seconds (ChatGPT, Open WebUI; milliseconds
// when it is that large) into milliseconds.
func seconds(t float64) int64 {
	if t > 1e11 {
		return int64(t)
	}
	return int64(t * 1000)
}
