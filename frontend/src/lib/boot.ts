// App start-up and teardown: global error handlers, store subscriptions, file drops.
import { backendReady, onFileDrop, toApiError } from './api';
import { chat } from './stores/chat.svelte';
import { conversations } from './stores/conversations.svelte';
import { model } from './stores/model.svelte';
import { settings } from './stores/settings.svelte';
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
    offs.push(model.init(), conversations.init(), onFileDrop((paths) => void model.openDropped(paths)));
    void settings.load();
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
    for (const off of offs) off();
  };
}
