import { api } from '../api';
import { conversations as defaultConversations, type ConversationsStore } from './conversations.svelte';
import { toasts, type ToastStore } from './toasts.svelte';

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** Export and import through the native dialogs, with a toast saying what happened. */
export class TransferStore {
  busy = $state(false);

  constructor(
    private readonly notify: ToastStore = toasts,
    private readonly conversations: ConversationsStore = defaultConversations,
  ) {}

  exportConversation(id: number, format: 'md' | 'json'): Promise<boolean> {
    return this.run(() => api.exportConversation(id, format), "Couldn't export the conversation");
  }

  exportAll(): Promise<boolean> {
    return this.run(() => api.exportAll(), "Couldn't export your data");
  }

  exportSummary(summaryId: number): Promise<boolean> {
    return this.run(() => api.exportSummary(summaryId), "Couldn't export the summary");
  }

  /** Import an export file; resolves true when something was added. */
  async importFile(): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    try {
      const r = await api.importConversations();
      if (!r) return false;
      this.notify.success(`Imported ${count(r.conversations, 'conversation')} and ${count(r.messages, 'message')} from ${r.format}`);
      await this.conversations.refresh();
      return true;
    } catch (e) {
      this.notify.error(e, "Couldn't import");
      return false;
    } finally {
      this.busy = false;
    }
  }

  private async run(save: () => Promise<string>, failure: string): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    try {
      const path = await save();
      if (!path) return false;
      this.notify.success(`Saved to ${path}`);
      return true;
    } catch (e) {
      this.notify.error(e, failure);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const transfer = new TransferStore();
