// App start-up and teardown: global error handlers, store subscriptions, file drops.
import { api, backendReady, EVENT_CLOSING, EVENT_OPEN_FILES, onEvent, onFileDrop, toApiError } from './api';
import { isExport, isGguf } from './format';
import { chat } from './stores/chat.svelte';
import { conversations } from './stores/conversations.svelte';
import { documents } from './stores/documents.svelte';
import { drafts, type DraftStore } from './stores/drafts.svelte';
import { ingest, type IngestStore } from './stores/ingest.svelte';
import { model, type ModelStore } from './stores/model.svelte';
import { transfer, type TransferStore } from './stores/transfer.svelte';
import { settings } from './stores/settings.svelte';
import { appearance } from './stores/appearance.svelte';
import { toasts, type ToastStore } from './stores/toasts.svelte';

/** Show a friendly toast for uncaught errors and rejections instead of a blank window. */
export function installGlobalErrorHandlers(notify: ToastStore = toasts): () => void {
  const onError = (ev: ErrorEvent) => {
    const msg = ev.error ? toApiError(ev.error).message : ev.message;
    notify.push('error', `Something went wrong: ${msg || 'unknown error'}`);
  };
  const onRejection = (ev: PromiseRejectionEvent) => {
    notify.push('error', `Something went wrong: ${toApiError(ev.reason).message}`);
  };
  // Without Wails' drop handling a dropped file would navigate the window away.
  const noNavigate = (ev: DragEvent) => ev.preventDefault();
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  window.addEventListener('dragover', noNavigate);
  window.addEventListener('drop', noNavigate);
  return () => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
    window.removeEventListener('dragover', noNavigate);
    window.removeEventListener('drop', noNavigate);
  };
}

export interface DropTargets {
  model: Pick<ModelStore, 'openDropped'>;
  ingest: Pick<IngestStore, 'add'>;
  transfer: Pick<TransferStore, 'importPaths'>;
}

/**
 * Files dropped on the window: .gguf models to the model store, exports
 * (.json, .zip) to import, everything else (files, folders) to documents.
 */
export function routeDrop(paths: string[], to: DropTargets = { model, ingest, transfer }): void {
  const models = paths.filter(isGguf);
  const exports = paths.filter(isExport);
  const docs = paths.filter((p) => !isGguf(p) && !isExport(p));
  if (models.length) void to.model.openDropped(models);
  if (exports.length) void to.transfer.importPaths(exports);
  if (docs.length) void to.ingest.add(docs);
}

/**
 * Files Chapel was asked to open (command-line arguments, a file dropped on
 * its icon, a second launch): routed like dropped files, now and whenever
 * the backend says more wait. Returns the unsubscribe.
 */
export function openPassedFiles(route: (paths: string[]) => void = (p) => routeDrop(p)): () => void {
  const take = () =>
    void api
      .takeOpenedFiles()
      .then((paths) => paths.length > 0 && route(paths))
      .catch((e: unknown) => toasts.error(e, "Couldn't open the files Chapel was given"));
  take();
  return onEvent(EVENT_OPEN_FILES, take);
}

/**
 * Bring back the unsent drafts, and write the one being typed when the
 * window is hidden or closing (typing is otherwise written once it
 * pauses): Chapel holds its close until the page says it is ready.
 * Returns the unsubscribe.
 */
export function keepDrafts(store: Pick<DraftStore, 'load' | 'flush'> = drafts, ready: () => Promise<void> = api.readyToClose): () => void {
  void store.load();
  const flush = () => void store.flush();
  const onVisibility = () => document.visibilityState === 'hidden' && flush();
  window.addEventListener('pagehide', flush);
  window.addEventListener('beforeunload', flush);
  document.addEventListener('visibilitychange', onVisibility);
  const offClosing = onEvent(EVENT_CLOSING, () => {
    void store
      .flush()
      .then(ready)
      .catch(() => {}); // the window closes anyway, a moment later
  });
  return () => {
    window.removeEventListener('pagehide', flush);
    window.removeEventListener('beforeunload', flush);
    document.removeEventListener('visibilitychange', onVisibility);
    offClosing();
  };
}

/** Start everything; returns the teardown. */
export function boot(): () => void {
  let disposed = false;
  const offs: (() => void)[] = [installGlobalErrorHandlers()];
  void backendReady().then((ok) => {
    if (disposed) return;
    if (!ok) {
      // Opened outside Wails (or the Go side failed): say so once, show the first-run view.
      toasts.push('error', 'The Chapel backend is not available. Restart Chapel if this persists.', 0);
      model.ready = true;
      return;
    }
    offs.push(
      appearance.init(),
      model.init(),
      conversations.init(),
      documents.init(),
      onFileDrop((paths) => routeDrop(paths)),
    );
    offs.push(openPassedFiles(), keepDrafts());
    void settings.load();
    void documents.refresh();
    // With a model available, reopen the most recent conversation.
    void Promise.all([model.refreshState(), conversations.refresh()]).then(() => {
      const first = conversations.list[0];
      if (disposed || !first || model.status === 'none' || chat.conversationId !== 0 || chat.sending) return;
      void chat.open(first.id);
    });
  });
  return () => {
    disposed = true;
    chat.dispose();
    documents.dispose();
    ingest.dispose();
    for (const off of offs) off();
  };
}
