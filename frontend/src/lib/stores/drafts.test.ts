import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api';
import { DraftStore } from './drafts.svelte';
import { ToastStore } from './toasts.svelte';

function setup(opts: { load?: () => Promise<{ conversation_id: number; text: string; updated_at: number }[]> } = {}) {
  const saved: [number, string][] = [];
  const save = vi.fn(async (id: number, text: string) => void saved.push([id, text]));
  const notify = new ToastStore();
  const store = new DraftStore({ save, load: opts.load ?? (async () => []), notify, delay: 300 });
  return { store, save, saved, notify };
}

describe('DraftStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes typing once it pauses, with the latest text', async () => {
    const { store, saved } = setup();
    store.put(1, 'H');
    store.put(1, 'He');
    await vi.advanceTimersByTimeAsync(200);
    store.put(1, 'Hello');
    await vi.advanceTimersByTimeAsync(299);
    expect(saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(saved).toEqual([[1, 'Hello']]);
    expect(store.get(1)).toBe('Hello');
  });

  it('writes at once when asked, and an emptied box forgets its draft', async () => {
    const { store, saved } = setup();
    store.put(2, 'half', true);
    store.put(2, '', true);
    await vi.runAllTimersAsync();
    expect(saved).toEqual([
      [2, 'half'],
      [2, ''],
    ]);
    expect(store.get(2)).toBe('');
  });

  it('does not write a text that is already kept', async () => {
    const { store, save } = setup();
    store.put(3, 'same', true);
    store.put(3, 'same', true);
    store.put(3, 'same');
    await vi.runAllTimersAsync();
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('writes one after another, so an older text never lands last', async () => {
    const order: string[] = [];
    let release = () => {};
    const save = vi.fn(async (_id: number, text: string) => {
      order.push(`start ${text}`);
      if (text === 'old') await new Promise<void>((r) => (release = r));
      order.push(`end ${text}`);
    });
    const store = new DraftStore({ save, load: async () => [], notify: new ToastStore() });
    store.put(1, 'old', true);
    store.put(1, 'new', true);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['start old']);
    release();
    await vi.runAllTimersAsync();
    expect(order).toEqual(['start old', 'end old', 'start new', 'end new']);
  });

  it('moves a draft to another conversation', async () => {
    const { store, saved } = setup();
    store.put(1, 'Once upon a time');
    store.move(1, 7, 'Once upon a time');
    await vi.runAllTimersAsync();
    expect(saved).toEqual([
      [1, ''],
      [7, 'Once upon a time'],
    ]);
    expect([store.get(1), store.get(7)]).toEqual(['', 'Once upon a time']);
  });

  it('flush writes what is waiting', async () => {
    const { store, saved } = setup();
    store.put(1, 'a');
    store.put(2, 'b');
    await store.flush();
    expect(saved).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    await vi.runAllTimersAsync();
    expect(saved).toHaveLength(2); // the timers went with the flush
  });

  it('load brings back saved drafts; text typed or emptied before they arrive wins', async () => {
    const { store } = setup({
      load: async () => [
        { conversation_id: 0, text: 'no conversation yet', updated_at: 1 },
        { conversation_id: 4, text: 'saved before', updated_at: 1 },
        { conversation_id: 5, text: 'untouched', updated_at: 1 },
      ],
    });
    store.put(5, '', true); // a switch away from a box never typed in: not a choice to empty it
    store.put(4, 'typed now');
    store.put(0, 'typed');
    store.put(0, ''); // typed, then emptied, before the saved drafts came
    expect(store.loaded).toBe(false);
    await store.load();
    expect(store.loaded).toBe(true);
    expect(store.get(0)).toBe('');
    expect(store.get(4)).toBe('typed now');
    expect(store.get(5)).toBe('untouched');
  });

  it('a failed load says so once and lets typing go on', async () => {
    const notify = new ToastStore();
    const store = new DraftStore({ save: async () => {}, load: () => Promise.reject(new ApiError('internal', 'disk I/O error')), notify });
    await store.load();
    expect(store.loaded).toBe(true);
    expect(notify.items.map((t) => t.text)).toEqual(["Couldn't bring back your unsent messages: disk I/O error"]);
  });

  it('a failing disk is said once per run of failures, and the same text is tried again', async () => {
    let full = true;
    const tried: string[] = [];
    const save = vi.fn(async (_id: number, text: string) => {
      tried.push(text);
      if (full) throw new ApiError('unavailable', 'the disk is full');
    });
    const notify = new ToastStore();
    const store = new DraftStore({ save, load: async () => [], notify, delay: 10 });
    store.put(1, 'a', true);
    store.put(1, 'ab', true);
    await vi.advanceTimersByTimeAsync(50);
    expect(notify.items.map((t) => t.text)).toEqual(["Couldn't keep your unsent message: the disk is full"]);
    full = false;
    store.put(1, 'ab', true); // unchanged, but not yet kept
    await vi.advanceTimersByTimeAsync(50);
    expect(tried).toEqual(['a', 'ab', 'ab']);
    full = true;
    store.put(1, 'abc', true);
    await vi.advanceTimersByTimeAsync(50);
    expect(notify.items).toHaveLength(1); // the same sentence again replaces the first
  });

  it('a conversation deleted elsewhere is not an error', async () => {
    const notify = new ToastStore();
    const store = new DraftStore({
      save: () => Promise.reject(new ApiError('not_found', 'conversation 9 not found')),
      load: async () => [],
      notify,
    });
    store.put(9, 'orphan', true);
    await vi.runAllTimersAsync();
    expect(notify.items).toEqual([]);
    // Its text goes too: SQLite gives the next conversation the freed id, whose box would show it.
    expect(store.get(9)).toBe('');
  });

  it('forget drops a deleted conversation’s draft without writing it', async () => {
    const { store, saved } = setup({ load: async () => [{ conversation_id: 5, text: 'kept before', updated_at: 1 }] });
    await store.load();
    store.put(6, 'typing');
    store.forget(5);
    store.forget(6);
    await vi.runAllTimersAsync();
    expect([store.get(5), store.get(6)]).toEqual(['', '']);
    expect(saved).toEqual([]); // the database dropped them with the conversation
  });
});
