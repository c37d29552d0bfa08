import { api, downloadEnded, subscribeDownload } from '../api';
import type { CatalogModel, CatalogView, DownloadProgress, DownloadRef } from '../types';
import { model as defaultModel, type ModelStore } from './model.svelte';
import { toasts, type ToastStore } from './toasts.svelte';

export interface LibraryDeps {
  model?: ModelStore;
  notify?: ToastStore;
}

/** States in which a download is running (its Pause button shows). */
const RUNNING = new Set(['queued', 'checking', 'downloading', 'retrying', 'verifying']);

/** The model catalogue (what fits this computer) and its downloads. */
export class LibraryStore {
  view = $state<CatalogView | null>(null);
  /** The latest progress of each download, by catalogue id. */
  progress = $state<Record<string, DownloadProgress>>({});
  loading = $state(false);
  /** The Models view is open. */
  open = $state(false);

  private offs = new Map<string, () => void>();
  private readonly model: ModelStore;
  private readonly notify: ToastStore;

  constructor(deps: LibraryDeps = {}) {
    this.model = deps.model ?? defaultModel;
    this.notify = deps.notify ?? toasts;
  }

  get models(): CatalogModel[] {
    return this.view?.models ?? [];
  }

  get chatModels(): CatalogModel[] {
    return this.models.filter((m) => m.kind === 'chat');
  }

  get recommended(): CatalogModel | null {
    return this.models.find((m) => m.recommended) ?? null;
  }

  running(id: string): boolean {
    const p = this.progress[id];
    return !!p && RUNNING.has(p.state);
  }

  paused(id: string): boolean {
    return this.progress[id]?.state === 'paused';
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const v = await api.modelCatalog();
      this.view = v;
      for (const p of v.downloads ?? []) {
        // Keep live progress over the listing's snapshot.
        if (!this.offs.has(p.id)) this.progress[p.id] = p;
      }
    } catch (e) {
      this.notify.error(e, "Couldn't read the model catalogue");
    } finally {
      this.loading = false;
    }
  }

  show(): void {
    this.open = true;
    void this.refresh();
  }

  hide(): void {
    this.open = false;
  }

  async download(id: string): Promise<boolean> {
    return this.begin(id, () => api.startDownload(id), "Couldn't start the download");
  }

  async resume(id: string): Promise<boolean> {
    return this.begin(id, () => api.resumeDownload(id), "Couldn't resume the download");
  }

  async pause(id: string): Promise<void> {
    try {
      await api.pauseDownload(id);
    } catch (e) {
      this.notify.error(e, "Couldn't pause the download");
    }
  }

  async cancel(id: string): Promise<void> {
    try {
      await api.cancelDownload(id);
      this.unsubscribe(id);
      delete this.progress[id];
      void this.refresh();
    } catch (e) {
      this.notify.error(e, "Couldn't cancel the download");
    }
  }

  private async begin(id: string, start: () => Promise<DownloadRef>, what: string): Promise<boolean> {
    const prev = this.progress[id];
    this.progress[id] = { ...(prev ?? emptyProgress(id)), state: 'queued', error: '' };
    try {
      const ref = await start();
      // Subscribe in the same task as the answer, so no event is missed.
      this.unsubscribe(id);
      this.offs.set(
        id,
        subscribeDownload(ref.event, (p) => this.onProgress(id, p)),
      );
      return true;
    } catch (e) {
      if (prev) this.progress[id] = prev;
      else delete this.progress[id];
      this.notify.error(e, what);
      return false;
    }
  }

  private onProgress(id: string, p: DownloadProgress): void {
    this.progress[id] = p;
    if (!downloadEnded(p.state)) return;
    this.offs.delete(id); // subscribeDownload unsubscribed itself
    if (p.state === 'failed') this.notify.error({ message: p.error }, 'The download failed');
    if (p.state === 'done') void this.finished(p);
  }

  /** A finished model shows in the lists; with none loaded yet, it is loaded to chat with. */
  private async finished(p: DownloadProgress): Promise<void> {
    void this.refresh();
    await this.model.refreshList();
    if (!this.model.state.model && !this.model.loading && p.path) {
      this.open = false;
      await this.model.load(p.path);
    }
  }

  private unsubscribe(id: string): void {
    this.offs.get(id)?.();
    this.offs.delete(id);
  }

  /** Drop every subscription (the app unmounts). */
  dispose(): void {
    for (const off of this.offs.values()) off();
    this.offs.clear();
  }
}

function emptyProgress(id: string): DownloadProgress {
  return {
    id,
    file: '',
    url: '',
    state: 'queued',
    done: 0,
    total: 0,
    bytes_per_sec: 0,
    seconds_left: -1,
    path: '',
    error: '',
    verified: false,
  };
}

export const library = new LibraryStore();
