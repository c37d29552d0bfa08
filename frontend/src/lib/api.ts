// The one module that talks to Go: bound methods on window.go.app.App and the
// Wails runtime on window.runtime. Everything else imports from here.
import type { WailsAppBindings, WailsRuntime } from './wails';
import type {
  AboutInfo,
  Appearance,
  ActiveReply,
  AppInfo,
  CatalogView,
  Conversation,
  ConversationDetail,
  Draft,
  DocumentDetail,
  DocumentInfo,
  DoneEvent,
  DownloadProgress,
  DownloadRef,
  IngestEvent,
  IngestJob,
  ModelEntry,
  ModelInfo,
  ModelSettings,
  ModelSettingsView,
  SavedSettings,
  ModelState,
  Passage,
  PassageSource,
  SearchResults,
  ImportResult,
  RepairResult,
  SendResult,
  Settings,
  StartupState,
  StreamErrorEvent,
  StreamEvent,
  SummaryOutline,
  SummaryPiece,
  SummaryProgress,
  SummaryStyle,
  SummaryView,
  TokenEvent,
} from './types';
import type { Endpoint, EndpointInput, EndpointModel, EndpointTest, ServeState } from './types';

/** Every failure of a bound call surfaces as an ApiError with a code. */
export class ApiError extends Error {
  readonly code: string;
  /** For a form refused: what is wrong with each field, by its JSON name ({} otherwise). */
  readonly fields: Record<string, string>;
  constructor(code: string, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code || 'error';
    this.fields = fields;
  }
}

/** The string fields of a Go error's "fields" (anything else is left out). */
function fieldsOf(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Normalise any rejection (Go ErrorFormatter object, string, Error, …). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (typeof e === 'string') {
    const s = e.trim();
    if (s.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(s);
        if (isRecord(parsed) && ('message' in parsed || 'code' in parsed)) return toApiError(parsed);
      } catch {
        /* not JSON: use the text as is */
      }
    }
    return new ApiError('error', s || 'Unknown error');
  }
  if (e instanceof Error) {
    const code = isRecord(e) && typeof e.code === 'string' ? e.code : 'error';
    return new ApiError(code, e.message || String(e));
  }
  if (isRecord(e)) {
    const code = typeof e.code === 'string' ? e.code : typeof e.code === 'number' ? String(e.code) : 'error';
    const message =
      typeof e.message === 'string' && e.message ? e.message : typeof e.error === 'string' && e.error ? e.error : JSON.stringify(e);
    return new ApiError(code, message, fieldsOf(e.fields));
  }
  if (e === undefined || e === null) return new ApiError('unknown', 'Unknown error');
  return new ApiError('error', String(e));
}

function bindings(): Partial<WailsAppBindings> {
  const app = typeof window !== 'undefined' ? window.go?.app?.App : undefined;
  if (!app) throw new ApiError('unavailable', 'The Chapel backend is not available.');
  return app;
}

function rt(): Partial<WailsRuntime> | undefined {
  return typeof window !== 'undefined' ? window.runtime : undefined;
}

/**
 * Resolve once window.go.app.App exists. Wails normally injects the bindings
 * before our module runs; in dev/devserver mode they can arrive a moment later.
 */
export function backendReady(timeoutMs = 3000, intervalMs = 50): Promise<boolean> {
  const has = () => typeof window !== 'undefined' && !!window.go?.app?.App;
  if (has()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const started = Date.now();
    const t = setInterval(() => {
      if (has() || Date.now() - started >= timeoutMs) {
        clearInterval(t);
        resolve(has());
      }
    }, intervalMs);
  });
}

type Method = keyof WailsAppBindings;

async function call<M extends Method>(
  method: M,
  ...args: Parameters<WailsAppBindings[M]>
): Promise<Awaited<ReturnType<WailsAppBindings[M]>>> {
  try {
    const fn = bindings()[method] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn !== 'function') throw new ApiError('unavailable', `Backend method ${method} is missing.`);
    return (await fn(...args)) as Awaited<ReturnType<WailsAppBindings[M]>>;
  } catch (e) {
    throw toApiError(e);
  }
}

export const api = {
  appInfo: (): Promise<AppInfo> => call('AppInfo'),
  modelState: (): Promise<ModelState> => call('ModelState'),
  listModels: async (): Promise<ModelEntry[]> => (await call('ListModels')) ?? [],
  chooseModelFile: async (): Promise<string> => (await call('ChooseModelFile')) ?? '',
  loadModel: (path: string): Promise<ModelInfo> => call('LoadModel', path),
  listConversations: async (): Promise<Conversation[]> => (await call('ListConversations')) ?? [],
  createConversation: (): Promise<Conversation> => call('CreateConversation'),
  getConversation: (id: number): Promise<ConversationDetail> => call('GetConversation', id),
  renameConversation: (id: number, title: string): Promise<void> => call('RenameConversation', id, title),
  /** A conversation's own instructions (its system prompt in place of Settings'); '' removes them. */
  setInstructions: (id: number, text: string): Promise<Conversation> => call('SetInstructions', id, text),
  /** Keep a message box's unsent text (conversation 0: the box with none open); '' forgets it. */
  saveDraft: (id: number, text: string): Promise<void> => call('SaveDraft', id, text),
  drafts: async (): Promise<Draft[]> => (await call('Drafts')) ?? [],
  deleteConversation: (id: number): Promise<void> => call('DeleteConversation', id),
  sendMessage: (conversationId: number, text: string): Promise<SendResult> => call('SendMessage', conversationId, text),
  stopGeneration: (conversationId: number): Promise<void> => call('StopGeneration', conversationId),
  /** The reply being generated in a conversation, or null. */
  activeReply: async (conversationId: number): Promise<ActiveReply | null> => (await call('ActiveReply', conversationId)) || null,
  getSettings: (): Promise<Settings> => call('GetSettings'),
  /** Saves and returns the settings as Go checked them. */
  saveSettings: (s: Settings): Promise<Settings> => call('SaveSettings', s),
  /** One model's settings (by path), with its defaults, trained context, memory per context and the cores. */
  getModelSettings: (path: string): Promise<ModelSettingsView> => call('GetModelSettings', path),
  /** Saves a model's settings; the loaded model reloads when its context or threads changed. */
  saveModelSettings: (path: string, s: ModelSettings): Promise<ModelSettingsView> => call('SaveModelSettings', path, s),
  /**
   * Saves the settings panel at once: every model's settings and, when path is not '', the model's own;
   * or neither, with every wrong field of both in the error's fields (the model's as "model.<field>").
   */
  saveAllSettings: (s: Settings, path: string, m: ModelSettings): Promise<SavedSettings> => call('SaveAllSettings', s, path, m),
  /** Forgets a model's saved settings: its defaults apply again (reloading it when that changes its context or threads). */
  resetModelSettings: (path: string): Promise<ModelSettingsView> => call('ResetModelSettings', path),
  /** Native multi-file dialog; [] when cancelled. */
  pickDocuments: async (): Promise<string[]> => (await call('PickDocuments')) ?? [],
  /** Starts an ingest job and returns at once; progress arrives on job.stream. */
  ingestFiles: (paths: string[]): Promise<IngestJob> => call('IngestFiles', paths),
  cancelIngest: (job: number): Promise<void> => call('CancelIngest', job),
  /** Where a job is: each file's latest event, then "finished" once it ended (catch-up after subscribing). */
  ingestState: async (job: number): Promise<IngestEvent[]> => (await call('IngestState', job)) ?? [],
  /** Newest first. */
  listDocuments: async (): Promise<DocumentInfo[]> => (await call('ListDocuments')) ?? [],
  getDocument: async (id: number): Promise<DocumentDetail> => {
    const d = await call('GetDocument', id);
    return { ...d, sections: d?.sections ?? [], summaries: d?.summaries ?? [] };
  },
  deleteDocument: (id: number): Promise<void> => call('DeleteDocument', id),
  /** Starts or resumes; a cached complete summary comes back with status "complete". */
  summarizeDocument: (id: number, style: SummaryStyle): Promise<SummaryView> => call('SummarizeDocument', id, style),
  /** Stop the running summary of a document; the pieces done so far are kept. */
  stopSummary: (documentId: number): Promise<void> => call('StopSummary', documentId),
  /** Run a summary again with the model loaded now; force: every piece made anew. The old text stays until it completes. */
  summarizeAgain: (id: number, style: SummaryStyle, force: boolean): Promise<SummaryView> => call('SummarizeAgain', id, style, force),
  /** A summary's map pieces in document order (done, running, pending) with each engine's tally. */
  getSummaryOutline: async (summaryId: number): Promise<SummaryOutline> => {
    const o = await call('GetSummaryOutline', summaryId);
    return { ...o, pieces: o?.pieces ?? [], engines: o?.engines ?? [] };
  },
  getPassage: (documentId: number, firstChunk: number, lastChunk: number): Promise<Passage> =>
    call('GetPassage', documentId, firstChunk, lastChunk),
  /** The passage a marker written in an answer stands for ("[p. 5]", "[§ Setup]", "[¶ 3]"). */
  getCitedPassage: (documentId: number, marker: string): Promise<Passage> => call('GetCitedPassage', documentId, marker),
  /** What the passage panel shows around chunks first..last: a PDF's stored file and the passage per page, or the text around it. */
  getPassageSource: (documentId: number, firstChunk: number, lastChunk: number): Promise<PassageSource> =>
    call('GetPassageSource', documentId, firstChunk, lastChunk),
  /** A question in the conversation attached to the document; streams like sendMessage. */
  askDocument: (documentId: number, text: string): Promise<SendResult> => call('AskDocument', documentId, text),
  /** A new version of a reply (Retry), or a reply to a question that has none; streams like sendMessage. */
  regenerateMessage: (messageId: number): Promise<SendResult> => call('RegenerateMessage', messageId),
  /** A new version of a question with its reply; streams like sendMessage. */
  editMessage: (messageId: number, text: string): Promise<SendResult> => call('EditMessage', messageId, text),
  /** More of a reply that stopped at its token limit; the stream carries only the new text. */
  continueMessage: (messageId: number): Promise<SendResult> => call('ContinueMessage', messageId),
  /** Show the branch through a message; returns the conversation as it now shows. */
  switchVersion: (messageId: number): Promise<ConversationDetail> => call('SwitchVersion', messageId),
  /** Delete a message and the messages below it. */
  deleteMessage: (messageId: number): Promise<ConversationDetail> => call('DeleteMessage', messageId),
  pinConversation: (id: number, pinned: boolean): Promise<Conversation> => call('PinConversation', id, pinned),
  /** Native save dialog, then the file; '' when cancelled. format: md or json. */
  exportConversation: async (id: number, format: 'md' | 'json'): Promise<string> => (await call('ExportConversation', id, format)) ?? '',
  /** Everything as a zip archive, through the native save dialog; '' when cancelled. */
  exportAll: async (): Promise<string> => (await call('ExportAll')) ?? '',
  /** A document's summary as Markdown, through the native save dialog; '' when cancelled. */
  exportSummary: async (summaryId: number): Promise<string> => (await call('ExportSummary', summaryId)) ?? '',
  /** Native open dialog, then the import (all or nothing); null when cancelled. */
  importConversations: async (): Promise<ImportResult | null> => (await call('ImportChooseFile')) ?? null,
  /** Import the export file at path (a dropped one), all or nothing. */
  importPath: async (path: string): Promise<ImportResult | null> => (await call('ImportPath', path)) ?? null,
  search: async (query: string): Promise<SearchResults> => {
    const r = await call('Search', query);
    return { query, messages: r?.messages ?? [], passages: r?.passages ?? [] };
  },
  /** Version, engine variant (and why), data folder: the About box. */
  about: (): Promise<AboutInfo> => call('About'),
  /** Files Chapel was asked to open (arguments, a second launch) since the last call. */
  takeOpenedFiles: async (): Promise<string[]> => (await call('TakeOpenedFiles')) ?? [],
  /** The page has written what it held: the window may close (answers EVENT_CLOSING). */
  readyToClose: (): Promise<void> => call('ReadyToClose'),
  /** Settings → Appearance: the theme and summary notifications. */
  getAppearance: (): Promise<Appearance> => call('GetAppearance'),
  /** Stores Settings → Appearance and puts the window in the theme's colour; returns it with the scheme shown. */
  saveAppearance: (a: Appearance): Promise<Appearance> => call('SaveAppearance', a),
  /** The model catalogue rated against this computer (memory, free disk), with unfinished downloads. */
  modelCatalog: async (): Promise<CatalogView> => {
    const v = await call('ModelCatalog');
    return { ...v, models: v?.models ?? [], downloads: v?.downloads ?? [] };
  },
  /** Starts (or resumes from a part on disk) a catalogue model's download; progress arrives on ref.event. */
  startDownload: (id: string): Promise<DownloadRef> => call('StartDownload', id),
  pauseDownload: (id: string): Promise<void> => call('PauseDownload', id),
  resumeDownload: (id: string): Promise<DownloadRef> => call('ResumeDownload', id),
  cancelDownload: (id: string): Promise<void> => call('CancelDownload', id),
  /** How the window starts; an older backend without the method is ready. */
  startupState: async (): Promise<StartupState> => {
    const has = typeof window !== 'undefined' && typeof window.go?.app?.App?.StartupState === 'function';
    if (!has) return { state: 'ready', message: '', database: '', log_file: '' };
    return call('StartupState');
  },
  /** Keep the damaged database under a timestamped name and start with an empty one. */
  startFresh: (): Promise<RepairResult> => call('StartFresh'),
  /** Keep the damaged database and start with a new one holding what could be read. */
  recoverDatabase: (): Promise<RepairResult> => call('RecoverDatabase'),
  // Settings → Engines: OpenAI-compatible servers the user added.
  listEndpoints: async (): Promise<Endpoint[]> => (await call('ListEndpoints')) ?? [],
  saveEndpoint: (input: EndpointInput): Promise<Endpoint> => call('SaveEndpoint', input),
  deleteEndpoint: (id: string): Promise<void> => call('DeleteEndpoint', id),
  /** Connects and lists the endpoint's models; opens a connection only when the user asks. */
  testEndpoint: (input: EndpointInput): Promise<EndpointTest> => call('TestEndpoint', input),
  /** Each endpoint's chosen model, for the model picker (no connection). */
  listEndpointModels: async (): Promise<EndpointModel[]> => (await call('ListEndpointModels')) ?? [],
  /** Serve the local model on 127.0.0.1:port (0: a free port); the answer holds the token, this once. */
  startServing: (port: number): Promise<ServeState> => call('StartServing', port),
  stopServing: (): Promise<void> => call('StopServing'),
  servingState: (): Promise<ServeState> => call('ServingState'),
};

export type Api = typeof api;

export const EVENT_CONVERSATIONS_CHANGED = 'conversations:changed';
export const EVENT_MODEL_STATE = 'model:state';
export const EVENT_DOCUMENTS_CHANGED = 'documents:changed';
/** Files wait to be opened (a second launch handed them over): call takeOpenedFiles. */
export const EVENT_OPEN_FILES = 'app:open-files';
/** The window is closing: write what waits (drafts), then call readyToClose. */
export const EVENT_CLOSING = 'app:closing';

/**
 * Listen to a global event. Returns an unsubscribe function that removes
 * this listener only (the canceller EventsOn returns), idempotent.
 *
 * Wails v2 dispatches an event to a copy of the event's listener list and
 * stores that copy back when the callbacks are done, so a listener removed
 * from inside its own callback (the usual case: a stream's final event)
 * comes back and leaks, with its closure. Unsubscribing therefore removes
 * the listener at once and once more after the dispatch (a microtask).
 */
export function onEvent<T = unknown>(name: string, cb: (data: T) => void): () => void {
  const r = rt();
  if (!r?.EventsOn) return () => {};
  let active = true;
  const cancel = r.EventsOn(name, (data: T) => {
    if (active) cb(data);
  });
  const remove = () => {
    if (typeof cancel === 'function') cancel();
    else rt()?.EventsOff?.(name); // an old runtime without cancellers: removes every listener of name
  };
  return () => {
    if (!active) return;
    active = false;
    remove();
    queueMicrotask(remove);
  };
}

export interface StreamHandlers {
  onToken(ev: TokenEvent): void;
  onDone(ev: DoneEvent): void;
  onError(ev: StreamErrorEvent): void;
}

/**
 * Subscribe to one generation stream ("chat:stream:<n>"). Unsubscribes by
 * itself after the terminal done/error event; the returned function
 * unsubscribes early (idempotent).
 */
export function subscribeStream(stream: string, h: StreamHandlers): () => void {
  let off: () => void = () => {};
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    off();
  };
  off = onEvent<StreamEvent>(stream, (ev) => {
    if (finished || !isRecord(ev)) return;
    switch (ev.type) {
      case 'token':
        h.onToken(ev);
        break;
      case 'done':
        finish();
        h.onDone(ev);
        break;
      case 'error':
        finish();
        h.onError(ev);
        break;
    }
  });
  return finish;
}

/**
 * Subscribe to a per-job event stream that ends with one terminal event.
 * Unsubscribes by itself after the event for which isLast is true; the
 * returned function unsubscribes early (idempotent).
 */
export function subscribeUntil<T extends object>(name: string, isLast: (ev: T) => boolean, cb: (ev: T) => void): () => void {
  let off: () => void = () => {};
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    off();
  };
  off = onEvent<T>(name, (ev) => {
    if (finished || !isRecord(ev)) return;
    if (isLast(ev)) finish();
    cb(ev);
  });
  return finish;
}

/** Events of one ingest job ("documents:ingest:<job>"), up to and including "finished". */
export function subscribeIngest(stream: string, cb: (ev: IngestEvent) => void): () => void {
  return subscribeUntil<IngestEvent>(stream, (ev) => ev.phase === 'finished', cb);
}

export function summaryStream(summaryId: number): string {
  return `summary:progress:${summaryId}`;
}

/** Progress of one summary, up to and including the final event (status not running/pending). */
export function subscribeSummary(summaryId: number, cb: (ev: SummaryProgress) => void): () => void {
  return subscribeUntil<SummaryProgress>(summaryStream(summaryId), (ev) => ev.status !== 'running' && ev.status !== 'pending', cb);
}

export function summaryPieceStream(summaryId: number): string {
  return `summary:piece:${summaryId}`;
}

/** Each map piece of one summary as an engine takes it and when it is saved. No last event: the caller unsubscribes. */
export function subscribeSummaryPieces(summaryId: number, cb: (p: SummaryPiece) => void): () => void {
  return onEvent<SummaryPiece>(summaryPieceStream(summaryId), (p) => {
    if (isRecord(p)) cb(p);
  });
}

/** Native file drops (paths). Wails only delivers drops on --wails-drop-target elements. */
export function onFileDrop(cb: (paths: string[], x: number, y: number) => void): () => void {
  const r = rt();
  if (!r?.OnFileDrop) return () => {};
  r.OnFileDrop((x, y, paths) => cb(Array.isArray(paths) ? paths : [], x, y), true);
  return () => rt()?.OnFileDropOff?.();
}

/** Copy text: Wails clipboard first (works without a secure context), then the web APIs. */
export async function copyText(text: string): Promise<boolean> {
  try {
    const r = rt();
    if (r?.ClipboardSetText && (await r.ClipboardSetText(text))) return true;
  } catch {
    /* fall through */
  }
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through */
  }
  try {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  } catch {
    return false;
  }
}

/** Open a link from model output in the system browser; never navigate the app window. */
export function openExternal(url: string): boolean {
  if (!/^(https?:|mailto:)/i.test(url)) return false;
  const r = rt();
  if (!r?.BrowserOpenURL) return false;
  r.BrowserOpenURL(url);
  return true;
}

/** A download's state after which no more events come on its stream. */
export function downloadEnded(state: string): boolean {
  return state === 'done' || state === 'failed' || state === 'canceled' || state === 'paused';
}

/**
 * Progress of one download (its own event name, download:progress:<id>), up
 * to and including the event that ends it (done, failed, canceled, paused).
 */
export function subscribeDownload(event: string, cb: (p: DownloadProgress) => void): () => void {
  return subscribeUntil<DownloadProgress>(event, (p) => downloadEnded(p.state), cb);
}
