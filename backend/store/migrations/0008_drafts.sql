-- What the user has typed in the message box and not sent yet, one draft
-- per conversation, so that it is still there after Chapel is restarted
-- (or killed).
--   drafts.conversation_id: the conversation the draft belongs to; 0 is the
--     box with no conversation open (the next message starts one). No
--     foreign key, so that 0 can be stored; a conversation's draft goes
--     with it through the trigger below.
--   drafts.text: never empty (an emptied box deletes its row).
CREATE TABLE drafts (
    conversation_id INTEGER PRIMARY KEY,
    text            TEXT    NOT NULL CHECK (text <> ''),
    updated_at      INTEGER NOT NULL
);

CREATE TRIGGER drafts_follow_conversations AFTER DELETE ON conversations BEGIN
    DELETE FROM drafts WHERE conversation_id = OLD.id;
END;
