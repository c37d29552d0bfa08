// TypeScript mirrors of the JSON of documents: ingest, summaries, passages
// and their sources (re-exported by types.ts; checked against Go by
// app/tstypes_test.go like it).

export type DocumentFormat = 'pdf' | 'docx' | 'odt' | 'epub' | 'html' | 'markdown' | 'text' | 'rtf';

/** store.Document. Named DocumentInfo so it does not shadow the DOM's Document. */
export interface DocumentInfo {
  id: number;
  blake3: string;
  name: string;
  format: DocumentFormat | string;
  size_bytes: number;
  title: string;
  /** Page count (PDF); 0 when the format has no pages. */
  pages: number;
  /** The pages a PDF announces (0 when it states none): more than `pages` when some could not be read. */
  pages_announced: number;
  /** A PDF's page tree could not be read (a file cut short): `pages` are those found. */
  pages_lost: boolean;
  chunks: number;
  created_at: number;
  updated_at: number;
}

export interface DocumentSection {
  title: string;
  level: number;
  page: number;
}

export type SummaryStyle = 'brief' | 'detailed' | 'keypoints';
export type SummaryStatus = 'running' | 'complete' | 'partial' | 'failed' | 'canceled' | 'pending';

/** summarize.Citation: `marker` is exactly the text that appears in the summary. */
export interface Citation {
  marker: string;
  first_chunk: number;
  last_chunk: number;
  page_start: number;
  page_end: number;
  section: string;
}

/** summarize.View: one summary of one document in one style. */
export interface SummaryView {
  id: number;
  document_id: number;
  style: SummaryStyle;
  model: string;
  status: SummaryStatus;
  text: string;
  coverage: string;
  citations: Citation[] | null;
  pieces_done: number;
  pieces_total: number;
  /** Chunks whose map pieces are done (all of them when complete; Go always writes it). */
  chunks_summarized?: number;
  error: string;
  /** "12 steps: 9 parts of the document, then 3 combining them · token counts …" ('' before a plan is made). */
  plan: string;
  token_counts: TokenCounts;
  created_at: number;
  updated_at: number;
  /** Another Chapel (a window, `chapel summarize`, `chapel serve`) is making it now: it cannot run here until that one finishes. */
  elsewhere: boolean;
}

/** How a summary plan's tokens were counted: the model's tokenizer, an endpoint's /tokenize, or an estimate ('' unknown). */
export type TokenCounts = 'tokenizer' | 'server' | 'estimate' | '';

/** summarize.EngineProgress: what one engine did in the run under way ("local" is this computer). */
export interface EngineProgress {
  engine: string;
  done: number;
  in_flight: number;
  /** Completion tokens per second of the time it had a piece in flight; 0 when unknown. */
  tokens_per_second: number;
  /** Why an endpoint taking part in summaries sat the last batch out; absent while it takes its share. */
  sits_out?: string;
}

export type PieceStatus = 'done' | 'failed' | 'running' | 'pending';

/** summarize.Piece: one map step of a summary; also the payload of "summary:piece:<summary id>". */
export interface SummaryPiece {
  summary_id: number;
  ord: number;
  first_chunk: number;
  last_chunk: number;
  part: number;
  parts: number;
  /** "Pages 3–5", "Setup", "Passages 4–6", with ", part 2 of 3" for a cut passage. */
  label: string;
  status: PieceStatus;
  /** The engine making (running) or that made it; '' when pending or not known. */
  engine: string;
  text: string;
  citations: Citation[] | null;
  error: string;
}

/** summarize.Outline: a summary's map pieces in document order, with each engine's tally. */
export interface SummaryOutline {
  summary_id: number;
  document_id: number;
  status: SummaryStatus;
  pieces: SummaryPiece[] | null;
  engines: EngineProgress[] | null;
  plan: string;
  token_counts: TokenCounts;
}

/** Payload of "summary:progress:<summary id>". */
export interface SummaryProgress {
  summary_id: number;
  document_id: number;
  status: SummaryStatus;
  pieces_done: number;
  pieces_total: number;
  level: number;
  tokens_per_second: number;
  /** -1 while unknown. */
  eta_seconds: number;
  /** What each engine did in this run, in the order they first took a piece. */
  engines: EngineProgress[] | null;
  plan: string;
  token_counts: TokenCounts;
  /** Present on the final event (status not "running"). */
  view?: SummaryView | null;
}

export interface DocumentDetail {
  document: DocumentInfo;
  sections: DocumentSection[];
  summaries: SummaryView[];
}

export type IngestPhase = 'reading' | 'extracting' | 'indexing' | 'done' | 'failed' | 'canceled' | 'finished';

export interface IngestFailure {
  file: string;
  error: string;
}

/** Payload of "documents:ingest:<job>"; one "finished" event closes the job. */
export interface IngestEvent {
  job: number;
  phase: IngestPhase;
  file?: string;
  index?: number;
  files?: number;
  bytes_done?: number;
  bytes_total?: number;
  pages_done?: number;
  pages_total?: number;
  document?: DocumentInfo | null;
  duplicate?: boolean;
  error?: string;
  /** "finished" only. */
  documents?: DocumentInfo[] | null;
  failures?: IngestFailure[] | null;
  /** "finished" only: files of dropped folders left out (not documents Chapel reads), each with why. */
  skipped?: IngestFailure[] | null;
  /** "finished" only: files left out past those named in skipped (a large tree names its first 100). */
  skipped_more?: number;
}

export interface IngestJob {
  job: number;
  /** "documents:ingest:<job>" */
  stream: string;
}

export interface Passage {
  document_id: number;
  first_chunk: number;
  last_chunk: number;
  page_start: number;
  page_end: number;
  section: string;
  text: string;
}

/** documents.File: a PDF's copy kept by Chapel, read in parts from url (app/document_file.go). */
export interface DocumentFile {
  available: boolean;
  /** Why the page cannot be shown, one sentence; '' when available. */
  reason: string;
  size: number;
  url: string;
}

/** documents.PageText: the part of a passage on one page. */
export interface PassagePageText {
  page: number;
  text: string;
}

/** documents.Source: what the passage panel shows around a passage. */
export interface PassageSource {
  document_id: number;
  format: string;
  first_chunk: number;
  last_chunk: number;
  /** A PDF's stored file; null for other formats. */
  file: DocumentFile | null;
  pages: PassagePageText[];
  before: string;
  text: string;
  after: string;
  more_before: boolean;
  more_after: boolean;
}
