import { api } from '../api';
import type { MessageHit, PassageHit, SearchResults } from '../types';
import { toasts, type ToastStore } from './toasts.svelte';

/** The search dialog (Ctrl+K): its query, results, and which hit is picked. */
export class SearchStore {
  open = $state(false);
  query = $state('');
  results = $state<SearchResults | null>(null);
  searching = $state(false);
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly notify: ToastStore = toasts,
    private readonly delayMs = 150,
  ) {}

  show(): void {
    this.open = true;
  }

  close(): void {
    this.open = false;
  }

  /** Set the query; the search runs after a short pause in typing. */
  setQuery(q: string): void {
    this.query = q;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), this.delayMs);
  }

  /** Search now; only the latest query's results are kept. */
  async run(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const q = this.query.trim();
    const seq = ++this.seq;
    if (!q) {
      this.results = null;
      this.searching = false;
      return;
    }
    this.searching = true;
    try {
      const r = await api.search(q);
      if (seq === this.seq) this.results = r;
    } catch (e) {
      if (seq === this.seq) this.notify.error(e, "Couldn't search");
    } finally {
      if (seq === this.seq) this.searching = false;
    }
  }

  /** Every hit in the order shown: messages, then passages. */
  get hits(): (MessageHit | PassageHit)[] {
    return [...(this.results?.messages ?? []), ...(this.results?.passages ?? [])];
  }
}

export const search = new SearchStore();
