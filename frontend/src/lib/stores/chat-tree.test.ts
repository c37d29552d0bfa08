import { describe, expect, it, vi } from 'vitest';
import { ChatStore } from './chat.svelte';
import { ConversationsStore } from './conversations.svelte';
import { ToastStore } from './toasts.svelte';
import { conversation, installFakeWails, manualFrames, message } from '../../test/fakes';
import type { ConversationDetail } from '../types';

const conv = conversation({ id: 3, title: 'Tree' });
const u1 = message({ id: 1, conversation_id: 3, role: 'user', content: 'Hi' });
const a1 = message({ id: 2, conversation_id: 3, role: 'assistant', content: 'Hello', stop_reason: 'length', completion_tokens: 4 });
const a1b = message({ id: 5, conversation_id: 3, role: 'assistant', content: 'Hey', parent_id: 1 });

function detail(messages = [u1, a1], versions = [[1], [2]]): ConversationDetail {
  return { conversation: conv, messages, versions };
}

async function setup() {
  const w = installFakeWails();
  const notify = new ToastStore();
  const conversations = new ConversationsStore(notify);
  const chat = new ChatStore({ conversations, notify, scheduler: manualFrames().scheduler });
  w.app.GetConversation.mockResolvedValue(detail());
  await chat.open(3);
  return { w, chat, notify };
}

describe('chat store: versions', () => {
  it('opening a conversation keeps each message’s versions', async () => {
    const { chat } = await setup();
    expect(chat.messages.map((m) => m.id)).toEqual([1, 2]);
    expect(chat.versionsOf(2)).toEqual([2]);
  });

  it('regenerate streams the new version and shows its branch with both versions', async () => {
    const { w, chat } = await setup();
    const streaming = { ...a1b, content: '', status: 'streaming' as const };
    w.app.RegenerateMessage.mockResolvedValue({
      conversation: conv,
      user_message: u1,
      assistant_message: streaming,
      stream: 'chat:stream:5',
    });
    w.app.GetConversation.mockResolvedValue(detail([u1, streaming], [[1], [2, 5]]));
    expect(await chat.regenerate(2)).toBe(true);
    expect(w.app.RegenerateMessage).toHaveBeenCalledWith(2);
    expect(w.runtime.EventsOn).toHaveBeenCalledWith('chat:stream:5', expect.any(Function));
    expect(chat.messages.map((m) => m.id)).toEqual([1, 5]);
    expect(chat.versionsOf(5)).toEqual([2, 5]);
    expect(chat.generating).toBe(true);
    w.emit('chat:stream:5', { type: 'done', message: a1b });
    expect(chat.generating).toBe(false);
    expect(chat.messages[1].content).toBe('Hey');
  });

  it('switching versions shows the branch the backend returns; nothing while a reply streams', async () => {
    const { w, chat } = await setup();
    w.app.SwitchVersion.mockResolvedValue(detail([u1, a1b], [[1], [2, 5]]));
    await chat.switchVersion(5);
    expect(w.app.SwitchVersion).toHaveBeenCalledWith(5);
    expect(chat.messages.map((m) => m.content)).toEqual(['Hi', 'Hey']);
    chat.busy = [3];
    await chat.switchVersion(2);
    expect(w.app.SwitchVersion).toHaveBeenCalledTimes(1);
  });

  it('edit sends the new text; an empty edit sends nothing', async () => {
    const { w, chat } = await setup();
    expect(await chat.edit(1, '   ')).toBe(false);
    const u2 = message({ id: 7, conversation_id: 3, role: 'user', content: 'Hi again' });
    const a2 = message({ id: 8, conversation_id: 3, role: 'assistant', content: '', status: 'streaming', parent_id: 7 });
    w.app.EditMessage.mockResolvedValue({ conversation: conv, user_message: u2, assistant_message: a2, stream: 'chat:stream:8' });
    w.app.GetConversation.mockResolvedValue(detail([u2, a2], [[1, 7], [8]]));
    expect(await chat.edit(1, ' Hi again ')).toBe(true);
    expect(w.app.EditMessage).toHaveBeenCalledWith(1, 'Hi again');
    expect(chat.versionsOf(7)).toEqual([1, 7]);
  });

  it('continue streams onto the reply it continues', async () => {
    const { w, chat } = await setup();
    const reopened = { ...a1, status: 'streaming' as const };
    w.app.ContinueMessage.mockResolvedValue({ conversation: conv, user_message: u1, assistant_message: reopened, stream: 'chat:stream:2' });
    w.app.GetConversation.mockResolvedValue(detail([u1, reopened]));
    await chat.continueReply(2);
    w.emit('chat:stream:2', { type: 'token', seq: 1, text: ' world', completion_tokens: 1, tps: 5 });
    w.emit('chat:stream:2', { type: 'done', message: { ...a1, content: 'Hello world', stop_reason: 'eog' } });
    expect(chat.messages[1].content).toBe('Hello world');
  });

  it('a continued reply that ends while its branch is being read shows its end, not the read', async () => {
    const { w, chat } = await setup();
    const reopened = { ...a1, status: 'streaming' as const };
    w.app.ContinueMessage.mockResolvedValue({ conversation: conv, user_message: u1, assistant_message: reopened, stream: 'chat:stream:2' });
    // The branch is read while the reply still runs; the reply ends before the read answers.
    let answer!: (d: ConversationDetail) => void;
    w.app.GetConversation.mockReturnValue(new Promise<ConversationDetail>((resolve) => (answer = resolve)));
    const done = chat.continueReply(2);
    await vi.waitFor(() => expect(w.app.GetConversation).toHaveBeenCalledTimes(2));
    const ended = { ...a1, content: 'Hello world', stop_reason: 'length', completion_tokens: 8 };
    w.emit('chat:stream:2', { type: 'done', message: ended });
    answer(detail([u1, reopened]));
    expect(await done).toBe(true);
    expect(chat.messages[1].status).not.toBe('streaming');
    expect(chat.messages[1].content).toBe('Hello world');
    expect(chat.generating).toBe(false);
  });

  it('delete shows what is left; a failure says so', async () => {
    const { w, chat, notify } = await setup();
    w.app.DeleteMessage.mockResolvedValue(detail([u1], [[1]]));
    expect(await chat.deleteMessage(2)).toBe(true);
    expect(chat.messages.map((m) => m.id)).toEqual([1]);
    w.app.DeleteMessage.mockRejectedValue({ code: 'not_found', message: 'message 2 not found' });
    expect(await chat.deleteMessage(2)).toBe(false);
    expect(notify.items.at(-1)?.text).toContain('message 2 not found');
  });

  it('a search hit opens its conversation on the hit’s branch and asks to scroll to it', async () => {
    const { w, chat } = await setup();
    w.app.SwitchVersion.mockResolvedValue({ conversation: conversation({ id: 9 }), messages: [u1, a1b], versions: [[1], [2, 5]] });
    await chat.reveal(9, 5);
    expect(chat.conversationId).toBe(9);
    expect(chat.focusId).toBe(5);
    expect(chat.versionsOf(5)).toEqual([2, 5]);
  });
});

describe('chat store: new chat', () => {
  it('a message sent while the new chat is being made stays on screen', async () => {
    const w = installFakeWails();
    const notify = new ToastStore();
    const conversations = new ConversationsStore(notify);
    const chat = new ChatStore({ conversations, notify, scheduler: manualFrames().scheduler });
    let made: (c: unknown) => void = () => {};
    w.app.CreateConversation.mockReturnValue(new Promise((r) => (made = r)));
    w.app.SendMessage.mockResolvedValue({
      conversation: conv,
      user_message: u1,
      assistant_message: { ...a1, status: 'streaming' },
      stream: 'chat:stream:2',
    });
    const pending = chat.newChat();
    await chat.send('Hi');
    made(conversation({ id: 8 }));
    await pending;
    expect(chat.conversationId).toBe(3);
    expect(chat.messages.map((m) => m.id)).toEqual([1, 2]);
  });
});

describe('chat store: stop before the reply starts', () => {
  it('Stop pressed while the message is still being sent stops the reply once it starts', async () => {
    const w = installFakeWails();
    const notify = new ToastStore();
    const chat = new ChatStore({ conversations: new ConversationsStore(notify), notify, scheduler: manualFrames().scheduler });
    let sent: (r: unknown) => void = () => {};
    w.app.SendMessage.mockReturnValue(new Promise((r) => (sent = r)));
    const sending = chat.send('Hi');
    expect(chat.generating).toBe(true);
    await chat.stop();
    expect(w.app.StopGeneration).not.toHaveBeenCalled();
    sent({ conversation: conv, user_message: u1, assistant_message: { ...a1, status: 'streaming' }, stream: 'chat:stream:2' });
    await sending;
    expect(w.app.StopGeneration).toHaveBeenCalledWith(3);
  });
});
