import { describe, expect, it } from 'vitest';
import { TransferStore, importMessage } from './transfer.svelte';
import { ConversationsStore } from './conversations.svelte';
import { ToastStore } from './toasts.svelte';
import { installFakeWails } from '../../test/fakes';

function setup() {
  const w = installFakeWails();
  const notify = new ToastStore();
  const conversations = new ConversationsStore(notify);
  return { w, notify, t: new TransferStore(notify, conversations) };
}

describe('transfer store', () => {
  it('says where an export went; a cancelled dialog says nothing', async () => {
    const { w, notify, t } = setup();
    w.app.ExportConversation.mockResolvedValue('/home/me/Bread.md');
    expect(await t.exportConversation(3, 'md')).toBe(true);
    expect(w.app.ExportConversation).toHaveBeenCalledWith(3, 'md');
    expect(notify.items.at(-1)?.text).toBe('Saved to /home/me/Bread.md');
    w.app.ExportAll.mockResolvedValue('');
    expect(await t.exportAll()).toBe(false);
    expect(notify.items).toHaveLength(1);
  });

  it('an import says what it added and reloads the list; a bad file gets its sentence', async () => {
    const { w, notify, t } = setup();
    w.app.ImportChooseFile.mockResolvedValue({ conversations: 2, messages: 1, skipped: 0, conversation_ids: [4, 5], format: 'ChatGPT' });
    expect(await t.importFile()).toBe(true);
    expect(notify.items.at(-1)?.text).toBe('Imported 2 conversations and 1 message from ChatGPT');
    expect(w.app.ListConversations).toHaveBeenCalled();
    w.app.ImportChooseFile.mockRejectedValue({
      code: 'invalid',
      message: 'this file is not a Chapel, ChatGPT, Claude (conversations.json) or Open WebUI chat export',
    });
    expect(await t.importFile()).toBe(false);
    expect(notify.items.at(-1)?.text).toContain('not a Chapel, ChatGPT');
  });
  it('dropped exports import one after another, each failure named by its file', async () => {
    const { w, notify, t } = setup();
    w.app.ImportPath.mockImplementation(async (p: string) => {
      if (p.endsWith('bad.json'))
        throw { code: 'invalid', message: 'this file is not a Chapel, ChatGPT, Claude (conversations.json) or Open WebUI chat export' };
      return { conversations: 1, messages: 2, skipped: 0, conversation_ids: [7], format: 'ChatGPT' };
    });
    expect(await t.importPaths(['/dl/bad.json', '/dl/conversations.json'])).toBe(true);
    expect(w.app.ImportPath).toHaveBeenCalledTimes(2);
    const texts = notify.items.map((n) => n.text);
    expect(texts.some((x) => x.startsWith("Couldn't import bad.json") && x.includes('not a Chapel, ChatGPT'))).toBe(true);
    expect(texts).toContain('Imported 1 conversation and 2 messages from ChatGPT');
  });

  it.each([
    [{ conversations: 4, messages: 8, skipped: 0 }, 'Imported 4 conversations and 8 messages from Chapel archive'],
    [{ conversations: 1, messages: 3, skipped: 3 }, 'Imported 1 conversation and 3 messages from Chapel archive (3 already here, skipped)'],
    [{ conversations: 0, messages: 0, skipped: 4 }, 'Imported 0 conversations from Chapel archive (4 already here, skipped)'],
    [{ conversations: 0, messages: 0, skipped: 0 }, 'Imported 0 conversations and 0 messages from Chapel archive'],
  ])('the import message counts what was skipped: %o', (counts, want) => {
    expect(importMessage({ ...counts, conversation_ids: [], format: 'Chapel archive' })).toBe(want);
  });

  it('an import of conversations all already here says so and reloads nothing', async () => {
    const { w, notify, t } = setup();
    w.app.ImportPath.mockResolvedValue({ conversations: 0, messages: 0, skipped: 4, conversation_ids: [], format: 'Chapel archive' });
    expect(await t.importPaths(['/dl/chapel-export.zip'])).toBe(false);
    expect(notify.items.at(-1)?.text).toBe('Imported 0 conversations from Chapel archive (4 already here, skipped)');
    expect(w.app.ListConversations).not.toHaveBeenCalled();
  });
});
