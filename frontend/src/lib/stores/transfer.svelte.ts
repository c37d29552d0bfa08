import { api } from '../api';
import { basename } from '../format';
import type { ImportResult } from '../types';
import { conversations as defaultConversations, type ConversationsStore } from './conversations.svelte';
import { toasts, type ToastStore } from './toasts.svelte';

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** What an import added and what it skipped (conversations an earlier import brought already). */
export function importMessage(r: ImportResult): string {
  const skipped = r.skipped;
  let text = `Imported ${count(r.conversations, 'conversation')}`;
  if (r.conversations > 0 || skipped === 0) text += ` and ${count(r.messages, 'message')}`;
  text += ` from ${r.format}`;
  if (skipped > 0) text += ` (${skipped} already here, skipped)`;
  return text;
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

  /** Import an export file chosen in the native dialog; resolves true when something was added
   * (not when every conversation in it was already here). */
  importFile(): Promise<boolean> {
    return this.importWith(() => api.importConversations());
  }

  /** Import dropped export files (.json, .zip: Chapel's, ChatGPT's, Claude's, Open WebUI's), one after another. */
  async importPaths(paths: string[]): Promise<boolean> {
    let added = false;
    for (const p of paths) added = (await this.importWith(() => api.importPath(p), `Couldn't import ${basename(p)}`)) || added;
    return added;
  }

  private async importWith(load: () => Promise<ImportResult | null>, failure = "Couldn't import"): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    try {
      const r = await load();
      if (!r) return false;
      this.notify.success(importMessage(r));
      if (r.conversations === 0) return false;
      await this.conversations.refresh();
      return true;
    } catch (e) {
      this.notify.error(e, failure);
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
