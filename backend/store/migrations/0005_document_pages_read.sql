-- A PDF cut short: the pages its page tree announces, and whether the tree
-- was lost (the pages read are then those found, others may be missing).
ALTER TABLE documents ADD COLUMN pages_announced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN pages_lost INTEGER NOT NULL DEFAULT 0;
