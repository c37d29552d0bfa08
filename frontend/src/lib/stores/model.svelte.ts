import { api, onEvent, toApiError, EVENT_MODEL_STATE } from '../api';
import { basename, dirname, isGguf } from '../format';
import type { AppInfo, ModelEntry, ModelState } from '../types';
import { toasts, type ToastStore } from './toasts.svelte';

export interface ModelGroup {
  source: string;
  entries: ModelEntry[];
}

const EMPTY: ModelState = { state: 'none', model: null, path: '', error: '' };

export const NOT_GGUF_NOTICE = 'Chapel can only open .gguf model files here for now';

/** The loaded model, the models found on disk, and loading them. */
export class ModelStore {
  state = $state<ModelState>({ ...EMPTY });
  entries = $state<ModelEntry[]>([]);
  info = $state<AppInfo | null>(null);
  listing = $state(false);
  /** Set once the first ModelState answer (or failure) arrived: avoids a first-run flash. */
  ready = $state(false);
  /** The error banner was dismissed for this error. */
  dismissedError = $state('');
  /** The highest ModelState.seq applied: an older (late) update is ignored. */
  private seq = 0;

  constructor(private readonly notify: ToastStore = toasts) {}

  get status() {
    return this.state.state;
  }

  get loading(): boolean {
    return this.state.state === 'loading';
  }

  get name(): string {
    return this.state.model?.name || (this.state.path ? basename(this.state.path) : '');
  }

  /** The error to show in the banner, if any. */
  get error(): string {
    // A failed load that left the previous model running is ready with an error.
    const e = this.state.state === 'error' ? this.state.error || 'The model could not be loaded.' : this.state.error || '';
    return e && e !== this.dismissedError ? e : '';
  }

  /** Model entries grouped by where they were found, in first-seen order. */
  get groups(): ModelGroup[] {
    const out: ModelGroup[] = [];
    for (const e of this.entries) {
      const src = e.source || 'Other';
      let g = out.find((x) => x.source === src);
      if (!g) out.push((g = { source: src, entries: [] }));
      g.entries.push(e);
    }
    return out;
  }

  /**
   * The loaded model when no models folder lists it (a file opened or dropped
   * from elsewhere), as an entry the picker can show as current; null
   * otherwise. remote: the refs of endpoint models, which the picker lists apart.
   */
  loadedElsewhere(remote: string[] = []): ModelEntry | null {
    const m = this.state.model;
    if (!m || this.loading || remote.includes(m.path) || this.entries.some((e) => e.path === m.path)) return null;
    return {
      path: m.path,
      name: m.name,
      size_bytes: m.size_bytes,
      dir: dirname(m.path),
      source: 'Open now',
      valid: true,
      architecture: m.architecture,
      params: m.params,
    };
  }

  /** Subscribe to model:state and list models (call refreshState() for the state). */
  init(): () => void {
    const off = onEvent<ModelState>(EVENT_MODEL_STATE, (s) => this.apply(s));
    void this.refreshList();
    void api.appInfo().then(
      (i) => (this.info = i),
      () => {},
    );
    return off;
  }

  async refreshState(): Promise<void> {
    try {
      this.apply(await api.modelState());
    } catch (e) {
      this.notify.error(e, "Couldn't read the model state");
    } finally {
      this.ready = true;
    }
  }

  async refreshList(): Promise<void> {
    this.listing = true;
    try {
      this.entries = await api.listModels();
    } catch (e) {
      this.notify.error(e, "Couldn't list models");
    } finally {
      this.listing = false;
    }
  }

  /** Apply a model:state event / ModelState answer. */
  apply(s: ModelState | null | undefined): void {
    if (!s || typeof s !== 'object') return;
    // Events can arrive out of order (and an answer can cross an event): latest wins.
    if (typeof s.seq === 'number' && s.seq > 0) {
      if (s.seq <= this.seq) return;
      this.seq = s.seq;
    }
    this.state = { ...EMPTY, ...s, model: s.model ?? null };
    if (s.state !== 'error' && !s.error) this.dismissedError = '';
  }

  async load(path: string): Promise<boolean> {
    if (!path) return false;
    this.dismissedError = '';
    this.state = { state: 'loading', model: this.state.model, path, error: '' };
    try {
      const m = await api.loadModel(path);
      this.state = { state: 'ready', model: m, path: m.path || path, error: '' };
      void this.refreshList();
      return true;
    } catch (e) {
      const err = toApiError(e);
      const prev = this.state.model;
      // The previous model, if any, keeps running (Go reloads it after a failed load).
      this.state = prev
        ? { state: 'ready', model: prev, path: prev.path, error: err.message, failed_path: path }
        : { state: 'error', model: null, path, error: err.message };
      return false;
    }
  }

  /** Native file dialog, then load. */
  async choose(): Promise<boolean> {
    let path = '';
    try {
      path = await api.chooseModelFile();
    } catch (e) {
      this.notify.error(e, "Couldn't open the file dialog");
      return false;
    }
    return path ? this.load(path) : false;
  }

  retry(): Promise<boolean> {
    return this.load(this.state.failed_path || this.state.path);
  }

  dismissError(): void {
    this.dismissedError = this.state.error || 'The model could not be loaded.';
  }

  /** Files dropped on the window: load the first .gguf, explain anything else. */
  async openDropped(paths: string[]): Promise<boolean> {
    const gguf = paths.find(isGguf);
    if (!gguf) {
      if (paths.length) this.notify.info(NOT_GGUF_NOTICE);
      return false;
    }
    if (paths.length > 1) this.notify.info(`Opening ${basename(gguf)}; other files were ignored.`);
    return this.load(gguf);
  }
}

export const model = new ModelStore();
