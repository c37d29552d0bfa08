import { api, toApiError } from '../api';
import type { Draft } from '../types';
import { toasts, type ToastStore } from './toasts.svelte';

export interface DraftDeps {
  save?: (id: number, text: string) => Promise<void>;
  load?: () => Promise<Draft[]>;
  notify?: ToastStore;
  /** How long typing may pause before the text is written (ms). */
  delay?: number;
}

/**
 * The message box's unsent text, one draft per conversation (0: the box with
 * no conversation open), kept in the database so that a restart, a crash or
 * a closed window brings it back. Typing is written once it pauses;
 * switching conversations, sending and hiding the window write at once.
 */
export class DraftStore {
  /** True once the drafts saved before this start have been read. */
  loaded = $state(false);
  private texts = new Map<number, string>();
  private timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** Saves run one after another, so an older text never lands after a newer one. */
  private queue: Promise<void> = Promise.resolve();
  private failing = false;
  /** Boxes typed in (or emptied) since the start: the saved drafts read later do not overwrite them. */
  private touched = new Set<number>();
  /** Drafts whose last write failed: written again even if the text is the same. */
  private unsaved = new Set<number>();
  private save: (id: number, text: string) => Promise<void>;
  private readAll: () => Promise<Draft[]>;
  private notify: ToastStore;
  private delay: number;

  constructor(deps: DraftDeps = {}) {
    this.save = deps.save ?? api.saveDraft;
    this.readAll = deps.load ?? api.drafts;
    this.notify = deps.notify ?? toasts;
    this.delay = deps.delay ?? 300;
  }

  /** Read the saved drafts; text typed (or a box emptied) before they arrive wins over them. */
  async load(): Promise<void> {
    try {
      for (const d of await this.readAll()) if (!this.touched.has(d.conversation_id)) this.texts.set(d.conversation_id, d.text);
    } catch (e) {
      this.notify.error(e, "Couldn't bring back your unsent messages");
    } finally {
      this.loaded = true;
    }
  }

  get(id: number): string {
    return this.texts.get(id) ?? '';
  }

  /** The box of conversation id now holds text: written once typing pauses, or at once. */
  put(id: number, text: string, now = false): void {
    if (text === this.get(id) && !this.timers.has(id) && !this.unsaved.has(id)) return;
    this.touched.add(id);
    if (text) this.texts.set(id, text);
    else this.texts.delete(id);
    this.cancel(id);
    if (now) this.write(id);
    else
      this.timers.set(
        id,
        setTimeout(() => this.write(id), this.delay),
      );
  }

  /** Text typed in one box belongs to another conversation now (New chat, typing at once). */
  move(from: number, to: number, text: string): void {
    this.put(from, '', true);
    this.put(to, text, true);
  }

  /**
   * Conversation id was deleted (its draft with it, in the database): drop
   * the text kept here, unwritten. SQLite may give the freed id to the next
   * conversation, whose box would otherwise show the deleted one's text.
   */
  forget(id: number): void {
    this.cancel(id);
    this.texts.delete(id);
    this.unsaved.delete(id);
  }

  /** Write every draft still waiting (the window is being hidden or closed). */
  flush(): Promise<void> {
    for (const id of [...this.timers.keys()]) this.write(id);
    return this.queue;
  }

  private cancel(id: number): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }

  private write(id: number): void {
    this.cancel(id);
    const text = this.get(id);
    this.queue = this.queue.then(async () => {
      try {
        await this.save(id, text);
        this.unsaved.delete(id);
        this.failing = false;
      } catch (e) {
        // A conversation deleted (here or elsewhere) has no draft to keep.
        if (toApiError(e).code === 'not_found') {
          if (this.get(id) === text) this.forget(id);
          return;
        }
        this.unsaved.add(id);
        // Once per run of failures, not at every pause in typing.
        if (!this.failing) this.notify.error(e, "Couldn't keep your unsent message");
        this.failing = true;
      }
    });
  }
}

export const drafts = new DraftStore();
