package store

// Message statuses. A reply starts as streaming and ends as complete,
// stopped (the user pressed Stop) or failed (the engine failed; the text so
// far is kept).
const (
	StatusComplete  = "complete"
	StatusStreaming = "streaming"
	StatusStopped   = "stopped"
	StatusFailed    = "failed"
)

// Conversation is one chat thread. Times are Unix milliseconds.
type Conversation struct {
	ID           int64  `json:"id"`
	Title        string `json:"title"`
	Model        string `json:"model"`       // path of the model last used in it
	DocumentID   *int64 `json:"document_id"` // the document the conversation asks about, if any
	Pinned       bool   `json:"pinned"`      // kept at the top of the list
	LeafID       int64  `json:"leaf_id"`     // the last message of the path shown; 0 when empty
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
	MessageCount int    `json:"message_count"`
	// Instructions: the conversation's own system prompt, sent in place of
	// the one in Settings; '' when it has none.
	Instructions string `json:"instructions"`
}

// Message is one turn. Token counts and speed are set on assistant replies.
type Message struct {
	ID               int64   `json:"id"`
	ConversationID   int64   `json:"conversation_id"`
	ParentID         int64   `json:"parent_id"` // the message this one follows; 0 for a first message
	Role             string  `json:"role"`      // user, assistant or system
	Content          string  `json:"content"`
	Status           string  `json:"status"`
	Error            string  `json:"error"`       // why a reply failed, for failed replies
	StopReason       string  `json:"stop_reason"` // why a reply ended: StopEOG, StopLength, StopContext, StopCanceled or ''
	Model            string  `json:"model"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	TokensPerSecond  float64 `json:"tokens_per_second"`
	CreatedAt        int64   `json:"created_at"`
	UpdatedAt        int64   `json:"updated_at"`

	// A reasoning model's thinking before its answer (Content), and how
	// long it took; see SetMessageThinking.
	Thinking   string `json:"thinking"`
	ThinkingMS int64  `json:"thinking_ms"`
}

// Why a reply ended, as stored in Message.StopReason.
const (
	StopEOG      = "eog"      // the model ended its turn
	StopLength   = "length"   // the reply reached its token limit
	StopContext  = "context"  // the context was full
	StopCanceled = "canceled" // the user pressed Stop
)

// ConversationDetail is a conversation with the path of messages it shows,
// from the first message to its leaf. Versions[i] lists the ids of
// Messages[i] and its siblings (the other versions of that turn), oldest
// first.
type ConversationDetail struct {
	Conversation Conversation `json:"conversation"`
	Messages     []Message    `json:"messages"`
	Versions     [][]int64    `json:"versions"`
}

// ConversationTree is a conversation with every message of every branch,
// oldest first (a parent always comes before its children).
type ConversationTree struct {
	Conversation Conversation `json:"conversation"`
	Messages     []Message    `json:"messages"`
}
