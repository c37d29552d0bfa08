// Package transfer owns moving conversations in and out of Chapel: a
// conversation exported as Markdown (the branch shown) or as Chapel's JSON
// (every branch, the model, the settings, the times), everything as one
// zip archive (each conversation's JSON and each document's summaries as
// Markdown), a document's summary as Markdown with its citations and
// coverage line, and imports of Chapel's own JSON and archives, ChatGPT's
// data export (conversations.json) and Open WebUI's chat export, each in
// one transaction.
package transfer

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/store"
)

// Chapel's own formats.
const (
	FormatConversation = "chapel.conversation"
	FormatArchive      = "chapel.archive"
	formatVersion      = 1
)

// Conversation is a conversation in Chapel's JSON: every message of every
// branch (parents before children), which one is shown, the model, and
// the generation settings it was exported with. Times are Unix milliseconds.
type Conversation struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Model     string `json:"model"`
	Pinned    bool   `json:"pinned"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
	LeafID    int64  `json:"leaf_id"`
	// Instructions: the conversation's own system prompt, sent in place of Settings' ("" for none).
	Instructions string          `json:"instructions,omitempty"`
	Settings     json.RawMessage `json:"settings,omitempty"`
	Messages     []Message       `json:"messages"`
}

// Message is one message in Chapel's JSON.
type Message struct {
	ID               int64   `json:"id"`
	ParentID         int64   `json:"parent_id"`
	Role             string  `json:"role"`
	Content          string  `json:"content"`
	Thinking         string  `json:"thinking,omitempty"`
	ThinkingMS       int64   `json:"thinking_ms,omitempty"`
	Status           string  `json:"status"`
	Error            string  `json:"error,omitempty"`
	StopReason       string  `json:"stop_reason,omitempty"`
	Model            string  `json:"model,omitempty"`
	PromptTokens     int     `json:"prompt_tokens,omitempty"`
	CompletionTokens int     `json:"completion_tokens,omitempty"`
	TokensPerSecond  float64 `json:"tokens_per_second,omitempty"`
	CreatedAt        int64   `json:"created_at"`
	UpdatedAt        int64   `json:"updated_at"`
}

// Manifest is the archive's manifest.json.
type Manifest struct {
	Format        string `json:"format"`
	Version       int    `json:"version"`
	ExportedAt    int64  `json:"exported_at"`
	Conversations int    `json:"conversations"`
	Documents     int    `json:"documents"`
}

// Exporter reads what it exports from the store. Settings, when set, is
// recorded with each conversation (the generation settings in use).
type Exporter struct {
	Store    *store.Store
	Settings any
	Now      func() time.Time
}

func (e Exporter) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Conversation returns conversation id in Chapel's JSON.
func (e Exporter) Conversation(ctx context.Context, id int64) (Conversation, error) {
	t, err := e.Store.ConversationTree(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	c := Conversation{Format: FormatConversation, Version: formatVersion, ID: t.Conversation.ID, Title: t.Conversation.Title,
		Model: t.Conversation.Model, Pinned: t.Conversation.Pinned, CreatedAt: t.Conversation.CreatedAt,
		UpdatedAt: t.Conversation.UpdatedAt, LeafID: t.Conversation.LeafID, Instructions: t.Conversation.Instructions,
		Messages: []Message{}}
	if e.Settings != nil {
		if c.Settings, err = json.Marshal(e.Settings); err != nil {
			return Conversation{}, fmt.Errorf("encode the settings: %w", err)
		}
	}
	for _, m := range t.Messages {
		c.Messages = append(c.Messages, Message{ID: m.ID, ParentID: m.ParentID, Role: m.Role, Content: m.Content,
			Thinking: m.Thinking, ThinkingMS: m.ThinkingMS, Status: m.Status, Error: m.Error, StopReason: m.StopReason,
			Model: m.Model, PromptTokens: m.PromptTokens, CompletionTokens: m.CompletionTokens,
			TokensPerSecond: m.TokensPerSecond, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt})
	}
	return c, nil
}

// ConversationJSON writes conversation id as Chapel's JSON.
func (e Exporter) ConversationJSON(ctx context.Context, id int64, w io.Writer) error {
	c, err := e.Conversation(ctx, id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// ConversationMarkdown writes the branch conversation id shows as
// Markdown: the title, the model and dates, then each turn with who wrote
// it (and which version it is, when there are several).
func (e Exporter) ConversationMarkdown(ctx context.Context, id int64, w io.Writer) error {
	d, err := e.Store.ConversationDetail(ctx, id)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", oneLine(d.Conversation.Title))
	if d.Conversation.Model != "" {
		fmt.Fprintf(&b, "Model: %s  \n", oneLine(baseName(d.Conversation.Model)))
	}
	fmt.Fprintf(&b, "Started %s, last updated %s\n", stamp(d.Conversation.CreatedAt), stamp(d.Conversation.UpdatedAt))
	if in := d.Conversation.Instructions; in != "" {
		fmt.Fprintf(&b, "\n## Instructions\n\n%s\n", strings.TrimRight(in, "\n"))
	}
	for i, m := range d.Messages {
		who := "You"
		if m.Role == "assistant" {
			who = "Chapel"
		} else if m.Role == "system" {
			who = "System"
		}
		version := ""
		if i < len(d.Versions) && len(d.Versions[i]) > 1 {
			version = fmt.Sprintf(" (version %d of %d)", indexOf(d.Versions[i], m.ID)+1, len(d.Versions[i]))
		}
		fmt.Fprintf(&b, "\n## %s%s\n\n%s\n", who, version, strings.TrimRight(m.Content, "\n"))
		switch {
		case m.Status == store.StatusFailed:
			fmt.Fprintf(&b, "\n*Failed: %s*\n", oneLine(m.Error))
		case m.StopReason == store.StopLength:
			fmt.Fprintf(&b, "\n*Stopped at %d tokens*\n", m.CompletionTokens)
		case m.StopReason == store.StopContext:
			b.WriteString("\n*Stopped — context full*\n")
		case m.Status == store.StatusStopped:
			b.WriteString("\n*Stopped*\n")
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// SummaryMarkdown writes a document's summary as Markdown: the text with
// its citation markers, the coverage line, and the pages each citation
// stands for.
func (e Exporter) SummaryMarkdown(ctx context.Context, summaryID int64, w io.Writer) error {
	s, err := e.Store.GetSummary(ctx, summaryID)
	if err != nil {
		return err
	}
	d, err := e.Store.GetDocument(ctx, s.DocumentID)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, summaryMarkdown(d, s))
	return err
}

// citation is what the Markdown export reads of a summary's citations.
type citation struct {
	Marker    string `json:"marker"`
	PageStart int    `json:"page_start"`
	PageEnd   int    `json:"page_end"`
	Section   string `json:"section"`
}

func summaryMarkdown(d store.Document, s store.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s — %s summary\n\n", oneLine(d.Name), s.Style)
	b.WriteString(strings.TrimRight(s.Text, "\n") + "\n")
	if s.Coverage != "" {
		fmt.Fprintf(&b, "\n*%s*\n", oneLine(s.Coverage))
	}
	var cites []citation
	if len(s.Citations) > 0 && json.Unmarshal(s.Citations, &cites) == nil && len(cites) > 0 {
		b.WriteString("\n## Citations\n\n")
		for _, c := range cites {
			where := c.Section
			switch {
			case c.PageStart > 0 && c.PageEnd > c.PageStart:
				where = fmt.Sprintf("pages %d–%d", c.PageStart, c.PageEnd)
			case c.PageStart > 0:
				where = fmt.Sprintf("page %d", c.PageStart)
			}
			fmt.Fprintf(&b, "- %s: %s of %s\n", oneLine(c.Marker), oneLine(where), oneLine(d.Name))
		}
	}
	if s.Model != "" {
		fmt.Fprintf(&b, "\nSummarised by %s on %s.\n", oneLine(baseName(s.Model)), stamp(s.UpdatedAt))
	}
	return b.String()
}

// Archive writes everything as one zip: manifest.json, each conversation
// as conversations/<id>.json (Chapel's JSON), and each finished summary of
// each document as documents/<id>-<name>-<style>.md.
func (e Exporter) Archive(ctx context.Context, w io.Writer) (Manifest, error) {
	man := Manifest{Format: FormatArchive, Version: formatVersion, ExportedAt: e.now().UnixMilli()}
	zw := zip.NewWriter(w)
	list, err := e.Store.ListConversations(ctx)
	if err != nil {
		return man, err
	}
	for _, c := range list {
		f, err := zw.Create(fmt.Sprintf("conversations/%d.json", c.ID))
		if err != nil {
			return man, fmt.Errorf("write the archive: %w", err)
		}
		if err := e.ConversationJSON(ctx, c.ID, f); err != nil {
			return man, err
		}
		man.Conversations++
	}
	docs, err := e.Store.ListDocuments(ctx)
	if err != nil {
		return man, err
	}
	for _, d := range docs {
		sums, err := e.Store.ListSummaries(ctx, d.ID)
		if err != nil {
			return man, err
		}
		wrote := false
		for _, s := range sums {
			if strings.TrimSpace(s.Text) == "" {
				continue
			}
			f, err := zw.Create(fmt.Sprintf("documents/%d-%s-%s.md", d.ID, safeName(d.Name), safeName(s.Style)))
			if err != nil {
				return man, fmt.Errorf("write the archive: %w", err)
			}
			if _, err := io.WriteString(f, summaryMarkdown(d, s)); err != nil {
				return man, fmt.Errorf("write the archive: %w", err)
			}
			wrote = true
		}
		if wrote {
			man.Documents++
		}
	}
	f, err := zw.Create("manifest.json")
	if err != nil {
		return man, fmt.Errorf("write the archive: %w", err)
	}
	if err := json.NewEncoder(f).Encode(man); err != nil {
		return man, fmt.Errorf("write the archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return man, fmt.Errorf("write the archive: %w", err)
	}
	return man, nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName makes a file name part from s.
func safeName(s string) string {
	s = strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "_.")
	if len(s) > 60 {
		s = s[:60]
	}
	if s == "" {
		return "untitled"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

func stamp(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC") }

func indexOf(ids []int64, id int64) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return 0
}
