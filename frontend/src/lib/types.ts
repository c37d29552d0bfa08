// TypeScript mirrors of the JSON that the bound Go methods return and the
// events they emit. Field names are the Go JSON tags (snake_case).

export interface AppInfo {
  version: string;
  data_dir: string;
  models_dir: string;
}

/** The About box: version, the engine build running on this CPU and why, where data lives. */
export interface AboutInfo {
  version: string;
  platform: string;
  engine: string;
  reason: string;
  shipped: string[] | null;
  cpu: string;
  data_dir: string;
  models_dir: string;
}

export type ModelStatus = 'none' | 'loading' | 'ready' | 'error';

export interface ModelInfo {
  path: string;
  name: string;
  description: string;
  architecture: string;
  size_bytes: number;
  params: number;
  context_size: number;
  train_context: number;
  has_template: boolean;
  /** How conversations become prompt text: the model's own Jinja template, llama.cpp's built-in formatting, or plain completion. */
  template_mode?: 'jinja' | 'builtin' | 'plain';
  /** The file has a chat template that could not be used (broken or refusing every conversation): plain completion then. */
  template_unusable?: boolean;
  /** The model thinks before answering. */
  reasoning?: boolean;
  /** How thinking can be turned off: 'flag' (enable_thinking), '/no_think', or '' (it cannot). */
  think_switch?: string;
  /** Tokens in the model's vocabulary (Go always writes it; test fakes may leave it out). */
  vocab_size?: number;
  /** What the engine's thread tuner settled on so far (absent: fixed threads or a remote engine). */
  tuned_threads?: ThreadCounts;
  /** The thread count a reply's steps start at after the load (absent: a remote engine). */
  start_threads?: number;
  /** Who multiplies Q4_0 weights repacked for this CPU (Chapel's kernels or ggml's) and why; absent for a remote engine. */
  kernels?: string;
}

/** engine.ThreadCounts: thread counts per decode size; 0 = not known. */
export interface ThreadCounts {
  /** One token: a reply's steps. */
  step: number;
  /** A few tokens: parallel sequences' steps. */
  steps: number;
  /** Prompt batches. */
  prompt: number;
}

export interface ModelState {
  state: ModelStatus;
  model: ModelInfo | null; // null when no model is loaded (Go writes it always)

  path: string;
  error: string;
  /** The model that failed to load while `model`, loaded before it, kept running. */
  failed_path?: string;
  /** Go numbers its changes from 1; the highest is current (absent on states the UI makes itself). */
  seq?: number;
}

export interface ModelEntry {
  path: string;
  name: string;
  size_bytes: number;
  dir: string;
  source: string;
  valid: boolean;
  problem?: string;
  /** "chapel" (its own folders) or the app whose store holds it: ollama, lmstudio, jan, gpt4all, huggingface, llamacpp. */
  app?: string;
  // Read from the GGUF header before loading (absent when it could not be read).
  model_name?: string;
  architecture?: string;
  params?: number;
  quantization?: string;
  context_length?: number;
  template_family?: string;
  reasoning?: boolean;
  needs_memory?: number;
  fits_memory?: boolean;
}

/** This computer, measured; -1 where unknown. */
export interface Machine {
  total_memory: number;
  available_memory: number;
  disk_free: number;
}

/** One catalogue model, rated against this computer. */
export interface CatalogModel {
  id: string;
  name: string;
  kind: 'chat' | 'embedding';
  repo: string;
  file: string;
  revision: string;
  size_bytes: number;
  sha256: string;
  parameters: string;
  quantization: string;
  context_length: number;
  license: string;
  template_family: string;
  reasoning: boolean;
  good_at: string;
  note?: string;
  url: string;
  needs_memory: number;
  fits_memory: boolean;
  fits_disk: boolean;
  recommended: boolean;
  downloaded: boolean;
}

export type DownloadState = 'queued' | 'checking' | 'downloading' | 'retrying' | 'verifying' | 'paused' | 'done' | 'failed' | 'canceled';

/** A download's progress (download:progress:<id> events). */
export interface DownloadProgress {
  id: string;
  file: string;
  url: string;
  state: DownloadState;
  done: number;
  total: number;
  bytes_per_sec: number;
  /** -1 while unknown. */
  seconds_left: number;
  path: string;
  error: string;
  verified: boolean;
}

export interface CatalogView {
  machine: Machine;
  models: CatalogModel[];
  downloads: DownloadProgress[] | null;
  dir: string;
}

export interface DownloadRef {
  id: string;
  file: string;
  event: string;
}

/** The unsent text of a conversation's message box, kept across restarts. */
export interface Draft {
  /** 0: the box with no conversation open. */
  conversation_id: number;
  text: string;
  updated_at: number;
}

export interface Conversation {
  id: number;
  title: string;
  model: string;
  created_at: number;
  updated_at: number;
  message_count: number;
  /** The document this conversation asks about (AskDocument), or null. */
  document_id: number | null;
  /** Kept at the top of the list. */
  pinned?: boolean;
  /** The last message of the branch shown (0 when empty). */
  leaf_id?: number;
  /** The conversation's own system prompt, sent in place of Settings' ('' for none). */
  instructions?: string;
}

export type Role = 'user' | 'assistant' | 'system';
export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'failed';

export interface Message {
  id: number;
  conversation_id: number;
  role: Role;
  content: string;
  status: MessageStatus;
  error: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  tokens_per_second: number;
  created_at: number;
  updated_at: number;
  /** The message this one follows (0 for a first message). */
  parent_id?: number;
  /** Why a reply ended: eog, length (its token limit), context (the context was full), canceled; '' unknown. */
  stop_reason?: MessageStopReason;
  /** A reasoning model's thinking before its answer (never part of content). */
  thinking?: string;
  /** How long the model thought, in milliseconds. */
  thinking_ms?: number;
}

export interface ConversationDetail {
  conversation: Conversation;
  /** The branch shown, first message first. */
  messages: Message[];
  /** versions[i]: the ids of messages[i] and its other versions, oldest first. */
  versions?: number[][];
}

export type MessageStopReason = 'eog' | 'length' | 'context' | 'canceled' | '';

export interface MessageHit {
  message_id: number;
  conversation_id: number;
  conversation_title: string;
  role: Role;
  /** Matches stand between \u0002 and \u0003. */
  snippet: string;
  rank: number;
  created_at: number;
}

export interface PassageHit {
  document_id: number;
  document_name: string;
  chunk_ord: number;
  page_start: number;
  page_end: number;
  section: string;
  snippet: string;
  rank: number;
}

export interface SearchResults {
  query: string;
  messages: MessageHit[];
  passages: PassageHit[];
}

/** What an import added, and from which format (Chapel, Chapel archive, ChatGPT, Claude, Open WebUI). */
export interface ImportResult {
  conversations: number;
  messages: number;
  /** Conversations already here (an earlier import brought them), not added again. */
  skipped: number;
  conversation_ids: number[];
  format: string;
}

export interface SendResult {
  conversation: Conversation;
  user_message: Message;
  assistant_message: Message;
  stream: string;
}

export type StopReason = 'eog' | 'length' | 'canceled';

export interface GenerationResult {
  prompt_tokens: number;
  /** Prompt tokens reused from the previous turn's KV cache. */
  cached_tokens?: number;
  completion_tokens: number;
  prompt_tps: number;
  tokens_per_second: number;
  ttft_ms: number;
  stop_reason: StopReason;
  context_used: number;
  context_size: number;
  /** Oldest turns left out to fit the context. */
  dropped_messages?: number;
  /** Tokens left out from the start of a message too long for the context alone. */
  cut_tokens?: number;
  /** Tokens dropped from the start (after the system prompt) while the reply filled the context. */
  shifted_tokens?: number;
  /** How the conversation was changed for a template that rejected it, in one sentence. */
  template_note?: string;
  /** Threads the reply's steps used at its end (the engine's tuner's choice). */
  threads?: number;
  /** What the tuner settled on per decode size at the reply's end (absent: not tuned). */
  tuned_threads?: ThreadCounts;
}

export interface ErrorPayload {
  code: string;
  message: string;
}

export interface TokenEvent {
  type: 'token';
  /** Numbered from 1 on each stream; lets a late subscriber detect gaps. */
  seq?: number;
  text: string;
  /** Thinking text that came with this event (reasoning models), besides the answer's `text`. */
  thinking?: string;
  completion_tokens: number;
  tps: number;
}

export interface DoneEvent {
  type: 'done';
  message: Message;
  result: GenerationResult;
}

export interface StreamErrorEvent {
  type: 'error';
  message: Message;
  error: ErrorPayload;
}

/** The reply being generated in a conversation (ActiveReply), to catch up mid-stream. */
export interface ActiveReply {
  conversation_id: number;
  message_id: number;
  stream: string;
  /** All text emitted up to and including token event `seq`. */
  content: string;
  /** All thinking emitted up to and including token event `seq`. */
  thinking?: string;
  seq: number;
  completion_tokens: number;
  tps: number;
}

export type StreamEvent = TokenEvent | DoneEvent | StreamErrorEvent;

export interface Settings {
  temperature: number;
  top_k: number;
  top_p: number;
  min_p: number;
  repeat_penalty: number;
  seed: number;
  max_tokens: number;
  system_prompt: string;
  /** Paths of the reasoning models told not to think before answering. */
  thinking_off?: string[];
  /** Keep writing past the model's end of turn (tests and benchmarks; the window leaves it off). */
  ignore_eos?: boolean;
}

export * from './types-documents';

/** Settings → Appearance (app/window_theme.go): the theme, and notifications when a long summary ends. */
export interface Appearance {
  theme: ThemeChoice;
  scheme: 'light' | 'dark'; // what the window shows (the system's when following it)
  notify_summaries: boolean;
}

export type ThemeChoice = 'system' | 'light' | 'dark';

/** How the window starts: ready, or on the "database damaged" screen (app/startup.go). */
export interface StartupState {
  state: 'ready' | 'damaged';
  message: string;
  database: string;
  log_file: string;
}

/** What a database salvage saved (store.SalvageReport). */
export interface SalvageReport {
  rows: number;
  tables: Record<string, number>;
  unreadable: string[] | null;
  conversations: number;
  messages: number;
  documents: number;
  orphans_dropped: number;
}

/** What StartFresh or RecoverDatabase did. */
export interface RepairResult {
  copy: string;
  message: string;
  salvage: SalvageReport | null;
}

/** An OpenAI-compatible server the user added in Settings → Engines (its API key never comes back). */
export interface Endpoint {
  id: string;
  name: string;
  base_url: string;
  model: string;
  has_key: boolean;
  /** Its model also takes map steps of summaries, beside the local engine. */
  summaries: boolean;
}

/** An endpoint as the Engines form sends it: the key goes only with set_key ("" removes it). */
export interface EndpointInput extends Endpoint {
  api_key: string;
  set_key: boolean;
}

/** What testing an endpoint found: "connected: 3 models, 41 ms". */
export interface EndpointTest {
  summary: string;
  models: string[];
  latency_ms: number;
}

/** An endpoint's chosen model, as the model picker lists it; ref is what loadModel takes. */
export interface EndpointModel {
  ref: string;
  model: string;
  endpoint: string;
  endpoint_id: string;
}

/** Whether this Chapel serves its local model as an OpenAI-compatible API; the token comes only from startServing, once. */
export interface ServeState {
  running: boolean;
  url: string;
  token?: string;
}

// ---- Settings per model ----

/** models.Settings: what Chapel remembers for one model, by its path. */
export interface ModelSettings {
  /** Tokens; 0 = the engine's default (the trained context, at most 4096). */
  context_size: number;
  /** 0 = Auto (up to auto_threads, fewer while another program keeps a core busy); a number fixes it. */
  threads: number;
  system_prompt: string;
  temperature: number;
  top_k: number;
  top_p: number;
  min_p: number;
  repeat_penalty: number;
  /** Think before answering (reasoning models whose template lets it be turned off). */
  thinking: boolean;
}

/** A context of n tokens needs weights + compute + n × kv_per_token bytes; available: -1 = unknown. */
export interface ContextMemory {
  weights: number;
  compute: number;
  kv_per_token: number;
  available: number;
}

/** models.SettingsView: one model's settings as the settings panel shows them. */
/** What SaveAllSettings saved: every model's settings and the model's own (empty when none was named). */
export interface SavedSettings {
  settings: Settings;
  model: ModelSettingsView;
}

export interface ModelSettingsView {
  path: string;
  /** The user saved settings for this model; false: its defaults apply. */
  saved: boolean;
  values: ModelSettings;
  defaults: ModelSettings;
  /** Sampling fields whose default is the model's own recommendation (GGUF general.sampling.*). */
  recommended: string[];
  /** A model file on this computer: context and threads apply. */
  local: boolean;
  train_context: number;
  default_context: number;
  cores: number;
  auto_threads: number;
  /** The thread count a reply's steps settled on the last time Auto ran this model; 0 = not known. */
  settled_threads: number;
  memory: ContextMemory;
  /** The context the running copy has (0: not loaded). */
  loaded_context: number;
  /** The save just reloaded the model. */
  reloaded?: boolean;
}
