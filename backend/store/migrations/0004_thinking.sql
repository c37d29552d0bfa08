-- A reasoning model's thinking is kept apart from its answer: content is
-- the answer only, thinking what the model wrote before it (shown in a
-- collapsible block, never sent back to the model, never summarised), and
-- thinking_ms how long the model thought.
ALTER TABLE messages ADD COLUMN thinking TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN thinking_ms INTEGER NOT NULL DEFAULT 0;
