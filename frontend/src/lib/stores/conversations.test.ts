import { describe, expect, it } from 'vitest';
import { ConversationsStore } from './conversations.svelte';
import { DraftStore } from './drafts.svelte';
import { ToastStore } from './toasts.svelte';
import { conversation, installFakeWails, afterDispatch } from '../../test/fakes';

function setup() {
  const w = installFakeWails();
  const notify = new ToastStore();
  const store = new ConversationsStore(notify);
  return { w, notify, store };
}

describe('conversations store', () => {
  it('refresh loads the list, most recent first', async () => {
    const { w, store } = setup();
    w.app.ListConversations.mockResolvedValue([
      conversation({ id: 1, title: 'old', updated_at: 100 }),
      conversation({ id: 2, title: 'new', updated_at: 300 }),
      conversation({ id: 3, title: 'mid', updated_at: 200 }),
    ]);
    await store.refresh();
    expect(store.list.map((c) => c.id)).toEqual([2, 3, 1]);
    expect(store.loaded).toBe(true);
  });

  it('refreshes on conversations:changed and stops after dispose', async () => {
    const { w, store } = setup();
    const off = store.init();
    w.app.ListConversations.mockResolvedValue([conversation({ id: 9 })]);
    w.emit('conversations:changed');
    await store.refresh();
    expect(store.list.map((c) => c.id)).toEqual([9]);
    off();
    await afterDispatch();
    expect(w.subscribed('conversations:changed')).toBe(0);
  });

  it('create adds and selects the new conversation', async () => {
    const { w, store } = setup();
    w.app.CreateConversation.mockResolvedValue(conversation({ id: 5, updated_at: 500 }));
    const c = await store.create();
    expect(c?.id).toBe(5);
    expect(store.list[0].id).toBe(5);
    expect(store.selectedId).toBe(5);
  });

  it('rename updates the title and calls RenameConversation with the trimmed title', async () => {
    const { w, store } = setup();
    store.upsert(conversation({ id: 4, title: 'Old' }));
    expect(await store.rename(4, '  Trip plans ')).toBe(true);
    expect(w.app.RenameConversation).toHaveBeenCalledWith(4, 'Trip plans');
    expect(store.list[0].title).toBe('Trip plans');
  });

  it('rename reverts and shows a toast when Go refuses', async () => {
    const { w, store, notify } = setup();
    store.upsert(conversation({ id: 4, title: 'Old' }));
    w.app.RenameConversation.mockRejectedValue({ code: 'invalid', message: 'title too long' });
    expect(await store.rename(4, 'New')).toBe(false);
    expect(store.list[0].title).toBe('Old');
    expect(notify.items[0].text).toContain('title too long');
  });

  it('rename ignores empty titles', async () => {
    const { w, store } = setup();
    store.upsert(conversation({ id: 4, title: 'Old' }));
    expect(await store.rename(4, '   ')).toBe(false);
    expect(w.app.RenameConversation).not.toHaveBeenCalled();
  });

  it('remove deletes, drops it from the list and clears the selection', async () => {
    const { w, store } = setup();
    store.upsert(conversation({ id: 1, updated_at: 1 }));
    store.upsert(conversation({ id: 2, updated_at: 2 }));
    store.select(2);
    expect(await store.remove(2)).toBe(true);
    expect(w.app.DeleteConversation).toHaveBeenCalledWith(2);
    expect(store.list.map((c) => c.id)).toEqual([1]);
    expect(store.selectedId).toBeNull();
  });

  it('remove forgets the conversation’s unsent draft (its id may be given to the next one)', async () => {
    const w = installFakeWails();
    const drafts = new DraftStore({ save: async () => {}, load: async () => [], notify: new ToastStore() });
    const store = new ConversationsStore(new ToastStore(), drafts);
    store.upsert(conversation({ id: 4 }));
    drafts.put(4, 'half a thought', true);
    expect(await store.remove(4)).toBe(true);
    expect(w.app.DeleteConversation).toHaveBeenCalledWith(4);
    expect(drafts.get(4)).toBe('');
  });

  it('remove keeps the item when deletion fails', async () => {
    const { w, store, notify } = setup();
    store.upsert(conversation({ id: 1 }));
    w.app.DeleteConversation.mockRejectedValue('disk full');
    expect(await store.remove(1)).toBe(false);
    expect(store.list).toHaveLength(1);
    expect(notify.items[0].kind).toBe('error');
  });
});
