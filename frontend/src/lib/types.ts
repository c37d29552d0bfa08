// TypeScript mirrors of the JSON that the bound Go methods return and the
// events they emit. Field names are the Go JSON tags (snake_case).

export interface AppInfo {
  version: string;
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
}

export interface ModelState {
  state: ModelStatus;
  model: ModelInfo | null; // omitted by Go when there is none

  path: string;
  error: string;
}

export interface ModelEntry {
  path: string;
  name: string;
  size_bytes: number;
  dir: string;
  source: string;
  valid: boolean;
  problem?: string;
}

export interface Conversation {
  id: number;
  title: string;
  model: string;
  created_at: number;
  updated_at: number;
  message_count: number;
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
}

export interface ConversationDetail {
  conversation: Conversation;
  messages: Message[];
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
}
