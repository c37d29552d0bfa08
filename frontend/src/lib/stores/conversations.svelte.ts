import { api, onEvent, toApiError, EVENT_CONVERSATIONS_CHANGED } from '../api';
import type { Conversation } from '../types';
import { drafts as appDrafts, type DraftStore } from './drafts.svelte';
import { toasts, type ToastStore } from './toasts.svelte';

/** Pinned first, then the most recently updated. */
function byRecent(a: Conversation, b: Conversation): number {
  return Number(!!b.pinned) - Number(!!a.pinned) || b.updated_at - a.updated_at || b.id - a.id;
}

/** The sidebar's conversation list and which one is selected. */
export class ConversationsStore {
  list = $state<Conversation[]>([]);
  selectedId = $state<number | null>(null);
  loaded = $state(false);
  private refreshing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly notify: ToastStore = toasts,
    private readonly drafts: Pick<DraftStore, 'forget'> = appDrafts,
  ) {}

  get selected(): Conversation | undefined {
    return this.list.find((c) => c.id === this.selectedId);
  }

  /** Subscribe to conversations:changed (call refresh() for the first load). Returns a disposer. */
  init(): () => void {
    return onEvent(EVENT_CONVERSATIONS_CHANGED, () => void this.refresh());
  }

  /** Reload the list; concurrent calls coalesce into at most one extra reload. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          const list = await api.listConversations();
          this.list = [...list].sort(byRecent);
          this.loaded = true;
        } while (this.again);
      } catch (e) {
        this.notify.error(e, "Couldn't load conversations");
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  select(id: number | null): void {
    this.selectedId = id;
  }

  /** Insert or update one conversation (e.g. from SendMessage) and keep the order. */
  upsert(c: Conversation): void {
    const i = this.list.findIndex((x) => x.id === c.id);
    if (i >= 0) this.list[i] = c;
    else this.list.push(c);
    this.list.sort(byRecent);
  }

  async create(): Promise<Conversation | null> {
    try {
      const c = await api.createConversation();
      this.upsert(c);
      this.selectedId = c.id;
      return c;
    } catch (e) {
      this.notify.error(e, "Couldn't start a new chat");
      return null;
    }
  }

  /**
   * Give a conversation its own instructions ('' removes them). Resolves
   * '' once saved, or the sentence saying why not (shown by the form).
   */
  async setInstructions(id: number, text: string): Promise<string> {
    try {
      this.upsert(await api.setInstructions(id, text));
      return '';
    } catch (e) {
      return toApiError(e).message;
    }
  }

  async rename(id: number, title: string): Promise<boolean> {
    const t = title.trim();
    const c = this.list.find((x) => x.id === id);
    if (!t || !c || c.title === t) return false;
    const old = c.title;
    c.title = t;
    try {
      await api.renameConversation(id, t);
      return true;
    } catch (e) {
      const again = this.list.find((x) => x.id === id);
      if (again) again.title = old;
      this.notify.error(e, "Couldn't rename the conversation");
      return false;
    }
  }

  /** Pin a conversation to the top of the list, or unpin it. */
  async pin(id: number, pinned: boolean): Promise<boolean> {
    try {
      this.upsert(await api.pinConversation(id, pinned));
      return true;
    } catch (e) {
      this.notify.error(e, pinned ? "Couldn't pin the conversation" : "Couldn't unpin the conversation");
      return false;
    }
  }

  async remove(id: number): Promise<boolean> {
    try {
      await api.deleteConversation(id);
    } catch (e) {
      this.notify.error(e, "Couldn't delete the conversation");
      return false;
    }
    this.list = this.list.filter((x) => x.id !== id);
    if (this.selectedId === id) this.selectedId = null;
    this.drafts.forget(id);
    return true;
  }
}

export const conversations = new ConversationsStore();
