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
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
	MessageCount int    `json:"message_count"`
}

// Message is one turn. Token counts and speed are set on assistant replies.
type Message struct {
	ID               int64   `json:"id"`
	ConversationID   int64   `json:"conversation_id"`
	Role             string  `json:"role"` // user, assistant or system
	Content          string  `json:"content"`
	Status           string  `json:"status"`
	Error            string  `json:"error"` // why a reply failed, for failed replies
	Model            string  `json:"model"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	TokensPerSecond  float64 `json:"tokens_per_second"`
	CreatedAt        int64   `json:"created_at"`
	UpdatedAt        int64   `json:"updated_at"`
}

// ConversationDetail is a conversation with its messages, oldest first.
type ConversationDetail struct {
	Conversation Conversation `json:"conversation"`
	Messages     []Message    `json:"messages"`
}
