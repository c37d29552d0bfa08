-- A summary's map plan and who made its pieces, so the document view can show
-- the pieces done so far in document order with the ones still to come (also
-- after a restart mid-summary), and which engine made each.
--   summary_pieces.engine: the engine that wrote the piece ("local", or an
--     endpoint's description); '' for pieces saved before this migration.
--   summaries.map_plan: JSON list of the map steps of the current plan, in
--     order: [{"first":0,"last":3,"part":0,"parts":1}, …].
--   summaries.token_counts: how the plan's tokens were counted: 'tokenizer'
--     (the local model's), 'server' (an endpoint's /tokenize) or 'estimate'
--     (an endpoint without a tokenizer); '' before this migration.
ALTER TABLE summary_pieces ADD COLUMN engine TEXT NOT NULL DEFAULT '';
ALTER TABLE summaries ADD COLUMN map_plan TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(map_plan));
ALTER TABLE summaries ADD COLUMN token_counts TEXT NOT NULL DEFAULT '';
