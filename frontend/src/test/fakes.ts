// A fake Wails environment: window.go.app.App with vi.fn() bindings and a
// window.runtime whose events can be emitted from tests.
import { vi, type Mock } from 'vitest';
import type { WailsAppBindings } from '../lib/wails';
import type {
  Citation,
  Conversation,
  DocumentDetail,
  DocumentInfo,
  IngestEvent,
  Message,
  ModelEntry,
  ModelInfo,
  Passage,
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
  listeners: Map<string, ((...a: unknown[]) => void)[]>;
  emit(name: string, ...data: unknown[]): void;
  drop(paths: string[], x?: number, y?: number): void;
}

export function installFakeWails(): FakeWails {
  const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
  let dropCb: ((x: number, y: number, paths: string[]) => void) | null = null;
  const resolved = (v: unknown = undefined) => vi.fn<Fn>(async () => v);
  const app: FakeApp = {
    AppInfo: resolved({ version: 'test', data_dir: '/data', models_dir: '/data/models' }),
    ModelState: resolved({ state: 'none', model: null, path: '', error: '' }),
    ListModels: resolved([]),
    ChooseModelFile: resolved(''),
    LoadModel: resolved(modelInfo()),
    ListConversations: resolved([]),
    CreateConversation: resolved(conversation({ id: 1 })),
    GetConversation: resolved({ conversation: conversation({ id: 1 }), messages: [] }),
    RenameConversation: resolved(),
    DeleteConversation: resolved(),
    SendMessage: resolved(),
    StopGeneration: resolved(),
    ActiveReply: resolved(null),
    GetSettings: resolved({}),
    SaveSettings: resolved(),
    PickDocuments: resolved([]),
    IngestFiles: resolved({ job: 1, stream: 'documents:ingest:1' }),
    CancelIngest: resolved(),
    IngestState: resolved([]),
    ListDocuments: resolved([]),
    GetDocument: resolved({ document: documentInfo(), sections: [], summaries: [] }),
    DeleteDocument: resolved(),
    SummarizeDocument: resolved(summaryView({ status: 'running' })),
    StopSummary: resolved(),
    GetPassage: resolved(passage()),
    GetCitedPassage: resolved(passage()),
    AskDocument: resolved(),
  };
  const runtime = {
    EventsOn: vi.fn<Fn>((name: string, cb: (...a: unknown[]) => void) => {
      listeners.set(name, [...(listeners.get(name) ?? []), cb]);
    }),
    EventsOff: vi.fn<Fn>((name: string) => {
      listeners.delete(name);
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
    emit(name, ...data) {
      for (const cb of [...(listeners.get(name) ?? [])]) cb(...data);
    },
    drop(paths, x = 10, y = 10) {
      dropCb?.(x, y, paths);
    },
  };
}

export function conversation(p: Partial<Conversation> = {}): Conversation {
  return { id: 1, title: 'New chat', model: '', created_at: 1000, updated_at: 1000, message_count: 0, document_id: null, ...p } as Conversation;
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

export function documentInfo(p: Partial<DocumentInfo> = {}): DocumentInfo {
  return {
    id: 1,
    blake3: 'b3',
    name: 'report.pdf',
    format: 'pdf',
    size_bytes: 2048,
    title: '',
    pages: 40,
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
    created_at: 1000,
    updated_at: 1000,
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
    ...p,
  };
}

export function documentDetail(p: Partial<DocumentDetail> = {}): DocumentDetail {
  return { document: documentInfo(), sections: [], summaries: [], ...p };
}

export function passage(p: Partial<Passage> = {}): Passage {
  return { document_id: 1, first_chunk: 5, last_chunk: 6, page_start: 12, page_end: 14, section: '', text: 'The passage.', ...p };
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
