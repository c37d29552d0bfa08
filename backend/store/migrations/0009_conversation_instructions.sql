-- A conversation's own instructions: sent to the model as the system
-- prompt of that conversation, in place of the one in Settings (the
-- model's own, or every model's).
--   conversations.instructions: '' when the conversation has none.
ALTER TABLE conversations ADD COLUMN instructions TEXT NOT NULL DEFAULT '';
