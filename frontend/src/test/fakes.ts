// A fake Wails environment: window.go.app.App with vi.fn() bindings and a
// window.runtime whose events can be emitted from tests.
import { vi, type Mock } from 'vitest';
import type { WailsAppBindings } from '../lib/wails';
import type {
  CatalogModel,
  Citation,
  Conversation,
  DocumentDetail,
  DocumentInfo,
  IngestEvent,
  Message,
  ModelEntry,
  ModelInfo,
  ModelSettings,
  ModelSettingsView,
  Passage,
  PassageSource,
  SummaryOutline,
  SummaryPiece,
  SummaryProgress,
  SummaryView,
} from '../lib/types';

type Fn = (...args: any[]) => any;
export type FakeApp = { [K in keyof WailsAppBindings]: Mock<Fn> };

export interface FakeWails {
  app: FakeApp;
  runtime: {
    EventsOn: Mock<Fn>;
    EventsOff: Mock<Fn>;
    OnFileDrop: Mock<Fn>;
    OnFileDropOff: Mock<Fn>;
    ClipboardSetText: Mock<Fn>;
    BrowserOpenURL: Mock<Fn>;
  };
  /** The listeners of each event name, as the Wails runtime holds them. */
  listeners: Map<string, FakeListener[]>;
  /** How many listeners event name has (0 when none). */
  subscribed(name: string): number;
  /** Every listener of every event: what a leak makes grow. */
  totalListeners(): number;
  emit(name: string, ...data: unknown[]): void;
  drop(paths: string[], x?: number, y?: number): void;
}

/** One registered callback, as Wails' runtime keeps it. */
export interface FakeListener {
  name: string;
  cb: (...a: unknown[]) => void;
}

export function installFakeWails(): FakeWails {
  // Events behave as in Wails v2.11's runtime (internal/frontend/runtime/
  // desktop/events.js): EventsOn returns a canceller for that one listener;
  // EventsOff drops every listener of a name; an emit calls the listeners
  // of a snapshot of the list, newest first, and then stores the snapshot
  // back as the list, which undoes any removal made during the callbacks.
  const listeners = new Map<string, FakeListener[]>();
  const cancel = (l: FakeListener) => {
    const list = listeners.get(l.name);
    if (!list) return;
    const rest = list.filter((x) => x !== l);
    if (rest.length) listeners.set(l.name, rest);
    else listeners.delete(l.name);
  };
  let dropCb: ((x: number, y: number, paths: string[]) => void) | null = null;
  const resolved = (v: unknown = undefined) => vi.fn<Fn>(async () => v);
  const app: FakeApp = {
    ListEndpoints: resolved([]),
    SaveEndpoint: resolved(),
    DeleteEndpoint: resolved(),
    TestEndpoint: resolved({ summary: 'connected: 0 models, 1 ms', models: [], latency_ms: 1 }),
    ListEndpointModels: resolved([]),
    StartServing: resolved({ running: true, url: 'http://127.0.0.1:8095/v1', token: 'chapel-test-token' }),
    StopServing: resolved(),
    ServingState: resolved({ running: false, url: '' }),
    AppInfo: resolved({ version: 'test', data_dir: '/data', models_dir: '/data/models' }),
    ModelState: resolved({ state: 'none', model: null, path: '', error: '' }),
    ListModels: resolved([]),
    ChooseModelFile: resolved(''),
    LoadModel: resolved(modelInfo()),
    ListConversations: resolved([]),
    CreateConversation: resolved(conversation({ id: 1 })),
    GetConversation: resolved({ conversation: conversation({ id: 1 }), messages: [] }),
    RenameConversation: resolved(),
    SetInstructions: vi.fn(async (id: number, text: string) => conversation({ id, instructions: text.trim() })),
    SaveDraft: resolved(),
    Drafts: resolved([]),
    DeleteConversation: resolved(),
    SendMessage: resolved(),
    StopGeneration: resolved(),
    ActiveReply: resolved(null),
    GetSettings: resolved({}),
    SaveSettings: resolved(),
    GetModelSettings: resolved(modelSettingsView()),
    SaveModelSettings: resolved(modelSettingsView({ saved: true })),
    SaveAllSettings: vi.fn(async (s: unknown) => ({ settings: s, model: modelSettingsView({ saved: true }) })),
    ResetModelSettings: resolved(modelSettingsView()),
    PickDocuments: resolved([]),
    IngestFiles: resolved({ job: 1, stream: 'documents:ingest:1' }),
    CancelIngest: resolved(),
    IngestState: resolved([]),
    ListDocuments: resolved([]),
    GetDocument: resolved({ document: documentInfo(), sections: [], summaries: [] }),
    DeleteDocument: resolved(),
    SummarizeDocument: resolved(summaryView({ status: 'running' })),
    StopSummary: resolved(),
    SummarizeAgain: resolved(summaryView({ status: 'running' })),
    GetSummaryOutline: resolved(summaryOutline()),
    GetPassage: resolved(passage()),
    GetCitedPassage: resolved(passage()),
    GetPassageSource: resolved(passageSource()),
    AskDocument: resolved(),
    RegenerateMessage: resolved(),
    EditMessage: resolved(),
    ContinueMessage: resolved(),
    SwitchVersion: resolved({ conversation: conversation({ id: 1 }), messages: [], versions: [] }),
    DeleteMessage: resolved({ conversation: conversation({ id: 1 }), messages: [], versions: [] }),
    PinConversation: resolved(conversation({ id: 1 })),
    Search: resolved({ query: '', messages: [], passages: [] }),
    ExportConversation: resolved(''),
    ExportConversationTo: resolved(),
    ExportAll: resolved(''),
    ExportAllTo: resolved(),
    ExportSummary: resolved(''),
    ImportChooseFile: resolved(null),
    ImportPath: resolved(null),
    StartupState: resolved({ state: 'ready', message: '', database: '', log_file: '' }),
    StartFresh: resolved({ copy: '/data/chapel-damaged.db', message: '', salvage: null }),
    RecoverDatabase: resolved({ copy: '/data/chapel-damaged.db', message: '', salvage: null }),
    About: resolved({
      version: 'test',
      platform: 'linux/amd64',
      engine: 'x86-64-v3',
      reason: 'Chapel runs its portable x86-64-v3 engine',
      shipped: ['x86-64-v3'],
      cpu: 'Test CPU',
      data_dir: '/data',
      models_dir: '/data/models',
    }),
    TakeOpenedFiles: resolved([]),
    ReadyToClose: resolved(),
    GetAppearance: resolved({ theme: 'system', scheme: 'light', notify_summaries: true }),
    SaveAppearance: vi.fn<Fn>(async (a: { theme: string; notify_summaries: boolean }) => ({
      ...a,
      scheme: a.theme === 'dark' ? 'dark' : 'light',
    })),
    ModelCatalog: resolved({
      machine: { total_memory: 16e9, available_memory: 8e9, disk_free: 100e9 },
      models: [],
      downloads: [],
      dir: '/data/models',
    }),
    StartDownload: resolved({ id: 'm', file: 'm.gguf', event: 'download:progress:m' }),
    PauseDownload: resolved(),
    ResumeDownload: resolved({ id: 'm', file: 'm.gguf', event: 'download:progress:m' }),
    CancelDownload: resolved(),
  };
  const runtime = {
    EventsOn: vi.fn<Fn>((name: string, cb: (...a: unknown[]) => void) => {
      const l: FakeListener = { name, cb };
      listeners.set(name, [...(listeners.get(name) ?? []), l]);
      return () => cancel(l);
    }),
    EventsOff: vi.fn<Fn>((name: string, ...more: string[]) => {
      for (const n of [name, ...more]) listeners.delete(n);
    }),
    OnFileDrop: vi.fn<Fn>((cb) => {
      dropCb = cb;
    }),
    OnFileDropOff: vi.fn<Fn>(() => {
      dropCb = null;
    }),
    ClipboardSetText: vi.fn<Fn>(async () => true),
    BrowserOpenURL: vi.fn<Fn>(),
  };
  window.go = { app: { App: app } };
  window.runtime = runtime;
  return {
    app,
    runtime,
    listeners,
    subscribed: (name) => listeners.get(name)?.length ?? 0,
    totalListeners: () => [...listeners.values()].reduce((n, list) => n + list.length, 0),
    emit(name, ...data) {
      const snapshot = listeners.get(name)?.slice() ?? [];
      if (!snapshot.length) return;
      for (let i = snapshot.length - 1; i >= 0; i--) snapshot[i].cb(...data);
      listeners.set(name, snapshot);
    },
    drop(paths, x = 10, y = 10) {
      dropCb?.(x, y, paths);
    },
  };
}

export function conversation(p: Partial<Conversation> = {}): Conversation {
  return {
    id: 1,
    title: 'New chat',
    model: '',
    created_at: 1000,
    updated_at: 1000,
    message_count: 0,
    document_id: null,
    ...p,
  } as Conversation;
}

export function message(p: Partial<Message> = {}): Message {
  return {
    id: 1,
    conversation_id: 1,
    role: 'user',
    content: '',
    status: 'complete',
    error: '',
    model: '',
    prompt_tokens: 0,
    completion_tokens: 0,
    tokens_per_second: 0,
    created_at: 1000,
    updated_at: 1000,
    ...p,
  };
}

export function modelInfo(p: Partial<ModelInfo> = {}): ModelInfo {
  return {
    path: '/models/tiny.gguf',
    name: 'tiny',
    description: '',
    architecture: 'llama',
    size_bytes: 1024,
    params: 260000,
    context_size: 2048,
    train_context: 2048,
    has_template: false,
    ...p,
  };
}

export function modelEntry(p: Partial<ModelEntry> = {}): ModelEntry {
  return { path: '/models/tiny.gguf', name: 'tiny', size_bytes: 1024, dir: '/models', source: 'models', valid: true, problem: '', ...p };
}

export function catalogModel(p: Partial<CatalogModel> = {}): CatalogModel {
  return {
    id: 'qwen-test',
    name: 'Qwen Test 1B',
    kind: 'chat',
    repo: 'org/qwen-test-GGUF',
    file: 'qwen-test.gguf',
    revision: 'a'.repeat(40),
    size_bytes: 1e9,
    sha256: 'b'.repeat(64),
    parameters: '1B',
    quantization: 'Q4_K_M',
    context_length: 32768,
    license: 'Apache-2.0',
    template_family: 'qwen2.5-instruct',
    reasoning: false,
    good_at: 'quick answers',
    url: 'https://huggingface.co/org/qwen-test-GGUF/resolve/x/qwen-test.gguf',
    needs_memory: 1.5e9,
    fits_memory: true,
    fits_disk: true,
    recommended: false,
    downloaded: false,
    ...p,
  };
}

export function documentInfo(p: Partial<DocumentInfo> = {}): DocumentInfo {
  return {
    id: 1,
    blake3: 'b3',
    name: 'report.pdf',
    format: 'pdf',
    size_bytes: 2048,
    title: '',
    pages: 40,
    pages_announced: 40,
    pages_lost: false,
    chunks: 20,
    created_at: 1000,
    updated_at: 1000,
    ...p,
  };
}

export function citation(p: Partial<Citation> = {}): Citation {
  return { marker: '[pp. 12–14]', first_chunk: 5, last_chunk: 6, page_start: 12, page_end: 14, section: '', ...p };
}

export function summaryView(p: Partial<SummaryView> = {}): SummaryView {
  return {
    id: 7,
    document_id: 1,
    style: 'brief',
    model: 'tiny',
    status: 'complete',
    text: '',
    coverage: '',
    citations: [],
    pieces_done: 0,
    pieces_total: 0,
    error: '',
    plan: '',
    token_counts: 'tokenizer',
    created_at: 1000,
    updated_at: 1000,
    elsewhere: false,
    ...p,
  };
}

export function summaryProgress(p: Partial<SummaryProgress> = {}): SummaryProgress {
  return {
    summary_id: 7,
    document_id: 1,
    status: 'running',
    pieces_done: 0,
    pieces_total: 0,
    level: 0,
    tokens_per_second: 0,
    eta_seconds: -1,
    engines: [],
    plan: '',
    token_counts: 'tokenizer',
    ...p,
  };
}

export function summaryPiece(p: Partial<SummaryPiece> = {}): SummaryPiece {
  return {
    summary_id: 7,
    ord: 0,
    first_chunk: 0,
    last_chunk: 1,
    part: 0,
    parts: 1,
    label: 'Pages 1–2',
    status: 'pending',
    engine: '',
    text: '',
    citations: [],
    error: '',
    ...p,
  };
}

export function summaryOutline(p: Partial<SummaryOutline> = {}): SummaryOutline {
  return { summary_id: 7, document_id: 1, status: 'complete', pieces: [], engines: [], plan: '', token_counts: 'tokenizer', ...p };
}

export function documentDetail(p: Partial<DocumentDetail> = {}): DocumentDetail {
  return { document: documentInfo(), sections: [], summaries: [], ...p };
}

export function passage(p: Partial<Passage> = {}): Passage {
  return { document_id: 1, first_chunk: 5, last_chunk: 6, page_start: 12, page_end: 14, section: '', text: 'The passage.', ...p };
}

export function passageSource(p: Partial<PassageSource> = {}): PassageSource {
  return {
    document_id: 1,
    format: 'markdown',
    first_chunk: 5,
    last_chunk: 6,
    file: null,
    pages: [],
    before: 'Before it. ',
    text: 'The passage.',
    after: ' After it.',
    more_before: true,
    more_after: false,
    ...p,
  };
}

export function ingestEvent(p: Partial<IngestEvent> = {}): IngestEvent {
  return { job: 1, phase: 'reading', ...p };
}

/** A scheduler that runs frames only when the test says so. */
export function manualFrames() {
  const queue: (() => void)[] = [];
  return {
    scheduler: (cb: () => void) => void queue.push(cb),
    get pending() {
      return queue.length;
    },
    run() {
      const q = queue.splice(0);
      for (const cb of q) cb();
    },
  };
}

/** Let pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

/** Let the removals an unsubscribe leaves until after the event's dispatch run. */
export async function afterDispatch(): Promise<void> {
  await Promise.resolve();
}

/** A model's settings view: a 2-core machine, a model trained with 8192 tokens, no saved settings. */
export function modelSettingsView(over: Partial<ModelSettingsView> = {}): ModelSettingsView {
  const defaults: ModelSettings = {
    context_size: 0,
    threads: 0,
    system_prompt: '',
    temperature: 0.6,
    top_k: 20,
    top_p: 0.95,
    min_p: 0.05,
    repeat_penalty: 1.1,
    thinking: true,
  };
  return {
    path: '/models/m.gguf',
    saved: false,
    values: { ...defaults },
    defaults,
    recommended: ['temperature', 'top_k'],
    local: true,
    train_context: 8192,
    default_context: 4096,
    cores: 2,
    auto_threads: 2,
    settled_threads: 0,
    memory: { weights: 1e9, compute: 84e6, kv_per_token: 131072, available: 4e9 },
    loaded_context: 4096,
    ...over,
  };
}
