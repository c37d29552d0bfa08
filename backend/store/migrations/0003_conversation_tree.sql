-- Conversations become trees: regenerating a reply or editing a question
-- adds a sibling instead of replacing it. parent_id is the message a
-- message answers or follows (NULL for a first message; several first
-- messages are versions of it); a conversation shows one path, from a root
-- to its leaf_id. selected_child_id is the child last shown under a message,
-- so switching back to a version finds the branch below it as it was.
--
-- parent_id has no foreign key on purpose: a cascade down a long chain would
-- recurse once per message and hit SQLite's trigger depth limit. The store
-- deletes subtrees itself, and a conversation's messages go with it through
-- conversation_id.
ALTER TABLE messages ADD COLUMN parent_id INTEGER;
ALTER TABLE messages ADD COLUMN selected_child_id INTEGER;
-- Why the engine ended a reply: eog (the model finished), length (the token
-- limit), context (the context was full), canceled (Stop); '' when unknown.
ALTER TABLE messages ADD COLUMN stop_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN leaf_id INTEGER;
-- Pinned conversations stay at the top of the sidebar.
ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1));

CREATE INDEX messages_by_parent ON messages (conversation_id, parent_id, id);

-- Existing conversations were linear: each message follows the one before.
UPDATE messages SET parent_id = (
    SELECT max(p.id) FROM messages p WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id);
UPDATE messages SET selected_child_id = (
    SELECT min(c.id) FROM messages c WHERE c.conversation_id = messages.conversation_id AND c.id > messages.id);
UPDATE conversations SET leaf_id = (SELECT max(m.id) FROM messages m WHERE m.conversation_id = conversations.id);
UPDATE messages SET stop_reason = 'canceled' WHERE status = 'stopped';

-- Full-text search over every message, kept in step by triggers (a reply is
-- re-indexed each time its growing text is saved).
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;

CREATE TRIGGER messages_fts_au AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;

INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
