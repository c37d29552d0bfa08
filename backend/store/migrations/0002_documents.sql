-- Documents: the files people drop on Chapel, stored content-addressed by
-- the BLAKE3 hash of their bytes (the bytes themselves live in the data
-- folder's documents/ directory under that hash), with their extracted text,
-- page and section maps, the passages ("chunks") that summaries cite and
-- that an FTS5 index searches, and the summaries with every partial piece.
-- Offsets are byte offsets into the extracted text; pages are 1-based.

CREATE TABLE documents (
    id         INTEGER PRIMARY KEY,
    blake3     TEXT    NOT NULL UNIQUE CHECK (length(blake3) = 64),
    name       TEXT    NOT NULL,
    format     TEXT    NOT NULL,
    size_bytes INTEGER NOT NULL,
    title      TEXT    NOT NULL DEFAULT '',
    pages      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX documents_by_created ON documents (created_at DESC, id DESC);

-- The extracted text, apart from the listing columns so listing never reads it.
CREATE TABLE document_texts (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    text        TEXT    NOT NULL
);

CREATE TABLE document_pages (
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    PRIMARY KEY (document_id, number)
) WITHOUT ROWID;

CREATE TABLE document_sections (
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    level       INTEGER NOT NULL,
    page        INTEGER NOT NULL DEFAULT 0,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    PRIMARY KEY (document_id, ord)
) WITHOUT ROWID;

-- Chunks cover the text in order without gaps: chunk ord n ends where n+1 starts.
CREATE TABLE chunks (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    page_start  INTEGER NOT NULL DEFAULT 0,
    page_end    INTEGER NOT NULL DEFAULT 0,
    section     TEXT    NOT NULL DEFAULT '',
    text        TEXT    NOT NULL,
    UNIQUE (document_id, ord)
);

-- Full-text index over the chunks (BM25 ranking for "ask the document"),
-- kept in step with chunks by triggers.
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    text, section,
    content = 'chunks', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text, section) VALUES (new.id, new.text, new.section);
END;

CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text, section) VALUES ('delete', old.id, old.text, old.section);
END;

-- One summary per document, style and cache key (the model and settings it
-- was made with). status: running while pieces are made, then complete,
-- partial (some pieces failed), failed or canceled. citations is JSON.
CREATE TABLE summaries (
    id           INTEGER PRIMARY KEY,
    document_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    style        TEXT    NOT NULL,
    cache_key    TEXT    NOT NULL,
    model        TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'failed', 'canceled')),
    text         TEXT    NOT NULL DEFAULT '',
    coverage     TEXT    NOT NULL DEFAULT '',
    citations    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(citations)),
    error        TEXT    NOT NULL DEFAULT '',
    pieces_total INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (document_id, style, cache_key)
);

-- Every partial summary, saved as it completes: level 0 summarises chunks
-- first_chunk..last_chunk (part part of parts when one chunk is too long for
-- the model); level n > 0 combines pieces first..last of level n-1 (stored in
-- first_chunk/last_chunk as piece ords). Resuming redoes only missing pieces.
CREATE TABLE summary_pieces (
    summary_id        INTEGER NOT NULL REFERENCES summaries (id) ON DELETE CASCADE,
    level             INTEGER NOT NULL,
    ord               INTEGER NOT NULL,
    first_chunk       INTEGER NOT NULL,
    last_chunk        INTEGER NOT NULL,
    part              INTEGER NOT NULL DEFAULT 0,
    parts             INTEGER NOT NULL DEFAULT 1,
    status            TEXT    NOT NULL CHECK (status IN ('complete', 'failed')),
    text              TEXT    NOT NULL DEFAULT '',
    error             TEXT    NOT NULL DEFAULT '',
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (summary_id, level, ord)
) WITHOUT ROWID;

-- A conversation may be attached to a document ("ask the document").
ALTER TABLE conversations ADD COLUMN document_id INTEGER REFERENCES documents (id) ON DELETE SET NULL;
CREATE INDEX conversations_by_document ON conversations (document_id) WHERE document_id IS NOT NULL;
