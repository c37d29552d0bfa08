// A fake Wails environment: window.go.app.App with vi.fn() bindings and a
// window.runtime whose events can be emitted from tests.
import { vi, type Mock } from 'vitest';
import type { WailsAppBindings } from '../lib/wails';
import type { Conversation, Message, ModelEntry, ModelInfo } from '../lib/types';

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
  return { id: 1, title: 'New chat', model: '', created_at: 1000, updated_at: 1000, message_count: 0, ...p };
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
