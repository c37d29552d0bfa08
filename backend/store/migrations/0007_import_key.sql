-- A conversation brought in by an import remembers which source
-- conversation it is, so importing the same export again skips it instead
-- of adding it a second time.
--   conversations.import_key: a fingerprint of the conversation as the
--     export held it (its creation time and its messages: the tree, roles
--     and text); NULL for a conversation begun in Chapel or imported before
--     this migration. It stays when the conversation is continued here.
ALTER TABLE conversations ADD COLUMN import_key TEXT;
CREATE INDEX conversations_by_import_key ON conversations (import_key) WHERE import_key IS NOT NULL;
