-- Which engine made each summary piece (the local model or an endpoint's
-- name), so the progress view and a finished summary can say who did what;
-- and whether the plan's token counts were estimates (an endpoint without
-- /tokenize) rather than counted by the model's own tokenizer.
ALTER TABLE summary_pieces ADD COLUMN engine TEXT NOT NULL DEFAULT '';
ALTER TABLE summaries ADD COLUMN tokens_estimated INTEGER NOT NULL DEFAULT 0;
