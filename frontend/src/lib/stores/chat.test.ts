import { describe, expect, it } from 'vitest';
import { ChatStore } from './chat.svelte';
import { ConversationsStore } from './conversations.svelte';
import { ToastStore } from './toasts.svelte';
import { conversation, installFakeWails, manualFrames, message, settle, afterDispatch } from '../../test/fakes';
import type { SendResult } from '../types';

function setup() {
  const w = installFakeWails();
  const notify = new ToastStore();
  const conversations = new ConversationsStore(notify);
  const frames = manualFrames();
  const chat = new ChatStore({ conversations, notify, scheduler: frames.scheduler });
  const sent: SendResult = {
    conversation: conversation({ id: 3, title: 'Hello', updated_at: 2000, message_count: 2 }),
    user_message: message({ id: 10, conversation_id: 3, role: 'user', content: 'Hello' }),
    assistant_message: message({ id: 11, conversation_id: 3, role: 'assistant', content: '', status: 'streaming' }),
    stream: 'chat:stream:11',
  };
  w.app.SendMessage.mockResolvedValue(sent);
  return { w, notify, conversations, frames, chat, sent };
}

const reply = (chat: ChatStore) => chat.messages.find((m) => m.id === 11)!;

describe('chat store', () => {
  it('send creates the conversation and shows a streaming reply', async () => {
    const { w, chat, conversations } = setup();
    expect(await chat.send('  Hello ')).toBe(true);
    expect(w.app.SendMessage).toHaveBeenCalledWith(0, 'Hello');
    expect(w.runtime.EventsOn).toHaveBeenCalledWith('chat:stream:11', expect.any(Function));
    expect(chat.conversationId).toBe(3);
    expect(chat.messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'streaming'],
    ]);
    expect(chat.generating).toBe(true);
    expect(conversations.selectedId).toBe(3);
    expect(conversations.list[0].id).toBe(3);
  });

  it('batches token events into one update per frame', async () => {
    const { w, chat, frames } = setup();
    await chat.send('Hello');
    w.emit('chat:stream:11', { type: 'token', text: 'Once', completion_tokens: 1, tps: 10 });
    w.emit('chat:stream:11', { type: 'token', text: ' upon', completion_tokens: 2, tps: 11 });
    w.emit('chat:stream:11', { type: 'token', text: ' a', completion_tokens: 3, tps: 12 });
    expect(frames.pending).toBe(1);
    expect(reply(chat).content).toBe('');
    frames.run();
    expect(reply(chat).content).toBe('Once upon a');
    expect(chat.stats?.tps).toBe(12);
    w.emit('chat:stream:11', { type: 'token', text: ' time', completion_tokens: 4, tps: 12 });
    frames.run();
    expect(reply(chat).content).toBe('Once upon a time');
  });

  it('done replaces the reply with the final message, records stats and unsubscribes', async () => {
    const { w, chat, frames } = setup();
    await chat.send('Hello');
    w.emit('chat:stream:11', { type: 'token', text: 'Hi', completion_tokens: 1, tps: 9 });
    const final = message({
      id: 11,
      conversation_id: 3,
      role: 'assistant',
      content: 'Hi there',
      status: 'complete',
      completion_tokens: 2,
      tokens_per_second: 20,
    });
    w.emit('chat:stream:11', {
      type: 'done',
      message: final,
      result: {
        prompt_tokens: 5,
        completion_tokens: 2,
        prompt_tps: 100,
        tokens_per_second: 20,
        ttft_ms: 50,
        stop_reason: 'eog',
        context_used: 7,
        context_size: 2048,
      },
    });
    expect(reply(chat)).toEqual(final);
    expect(chat.generating).toBe(false);
    expect(chat.stats).toEqual({ tps: 20, completion_tokens: 2, context_used: 7, context_size: 2048, dropped: 0, shifted: 0 });
    await afterDispatch();
    expect(w.subscribed('chat:stream:11')).toBe(0);
    frames.run();
    expect(reply(chat).content).toBe('Hi there');
  });

  it('error marks the reply failed with the error and keeps partial text', async () => {
    const { w, chat } = setup();
    await chat.send('Hello');
    w.emit('chat:stream:11', { type: 'token', text: 'Par', completion_tokens: 1, tps: 9 });
    w.emit('chat:stream:11', {
      type: 'error',
      message: message({ id: 11, role: 'assistant', content: 'Par', status: 'failed', error: '' }),
      error: { code: 'engine_crashed', message: 'the engine stopped' },
    });
    expect(reply(chat)).toMatchObject({ status: 'failed', error: 'the engine stopped', content: 'Par' });
    expect(chat.generating).toBe(false);
    await afterDispatch();
    expect(w.subscribed('chat:stream:11')).toBe(0);
  });

  it('stop calls StopGeneration for the open conversation; done then marks it stopped', async () => {
    const { w, chat } = setup();
    await chat.send('Hello');
    await chat.stop();
    expect(w.app.StopGeneration).toHaveBeenCalledWith(3);
    w.emit('chat:stream:11', {
      type: 'done',
      message: message({ id: 11, role: 'assistant', content: 'Hal', status: 'stopped' }),
      result: {
        prompt_tokens: 1,
        completion_tokens: 1,
        prompt_tps: 1,
        tokens_per_second: 1,
        ttft_ms: 1,
        stop_reason: 'canceled',
        context_used: 2,
        context_size: 64,
      },
    });
    expect(reply(chat).status).toBe('stopped');
  });

  it('a failed send returns false and shows a toast', async () => {
    const { w, chat, notify } = setup();
    w.app.SendMessage.mockRejectedValue({ code: 'no_model', message: 'Load a model first' });
    expect(await chat.send('Hello')).toBe(false);
    expect(chat.messages).toEqual([]);
    expect(chat.generating).toBe(false);
    expect(notify.items[0].text).toContain('Load a model first');
  });

  it('ignores empty text and sends nothing while generating', async () => {
    const { w, chat } = setup();
    expect(await chat.send('   ')).toBe(false);
    await chat.send('Hello');
    expect(await chat.send('again')).toBe(false);
    expect(w.app.SendMessage).toHaveBeenCalledTimes(1);
  });

  it('open loads messages; reopening a generating conversation shows the streamed text', async () => {
    const { w, chat, frames } = setup();
    await chat.send('Hello');
    w.emit('chat:stream:11', { type: 'token', text: 'Once upon', completion_tokens: 2, tps: 9 });
    frames.run();
    w.app.GetConversation.mockResolvedValueOnce({
      conversation: conversation({ id: 8 }),
      messages: [message({ id: 80, conversation_id: 8, content: 'other' })],
    });
    await chat.open(8);
    expect(w.app.GetConversation).toHaveBeenCalledWith(8);
    expect(chat.messages.map((m) => m.id)).toEqual([80]);
    expect(chat.generating).toBe(false);
    w.emit('chat:stream:11', { type: 'token', text: ' a time', completion_tokens: 4, tps: 9 });
    w.app.GetConversation.mockResolvedValueOnce({
      conversation: conversation({ id: 3 }),
      messages: [
        message({ id: 10, conversation_id: 3, content: 'Hello' }),
        message({ id: 11, conversation_id: 3, role: 'assistant', content: 'Once', status: 'streaming' }),
      ],
    });
    await chat.open(3);
    expect(reply(chat).content).toBe('Once upon a time');
    expect(chat.generating).toBe(true);
  });

  it('deleting the open conversation clears the chat and its stream', async () => {
    const { w, chat } = setup();
    await chat.send('Hello');
    expect(await chat.deleteConversation(3)).toBe(true);
    expect(w.app.DeleteConversation).toHaveBeenCalledWith(3);
    expect(chat.conversationId).toBe(0);
    expect(chat.messages).toEqual([]);
    await afterDispatch();
    expect(w.subscribed('chat:stream:11')).toBe(0);
  });

  it('newChat creates a conversation, but reuses an empty open one', async () => {
    const { w, chat } = setup();
    w.app.CreateConversation.mockResolvedValue(conversation({ id: 21 }));
    await chat.newChat();
    expect(chat.conversationId).toBe(21);
    await chat.newChat();
    expect(w.app.CreateConversation).toHaveBeenCalledTimes(1);
  });

  it('the text carried to a new chat is carried once: opening any conversation ends it', async () => {
    const { w, chat } = setup();
    w.app.CreateConversation.mockResolvedValue(conversation({ id: 21 }));
    await chat.newChat();
    expect(chat.carryTo).toBe(21);
    await chat.open(5);
    expect(chat.carryTo).toBe(0);
    await chat.newChat();
    chat.clear();
    expect(chat.carryTo).toBe(0);
  });

  it.each([
    { name: 'still empty: goes back to it', messages: [] as ReturnType<typeof message>[], title: 'New conversation', reused: true },
    {
      name: 'written in meanwhile: a new one',
      messages: [message({ id: 7, conversation_id: 21 })],
      title: 'New conversation',
      reused: false,
    },
    { name: 'renamed: a new one', messages: [] as ReturnType<typeof message>[], title: 'Plans', reused: false },
  ])('newChat after leaving the last new chat $name', async ({ messages, title, reused }) => {
    const { w, chat, conversations } = setup();
    w.app.CreateConversation.mockResolvedValueOnce(conversation({ id: 21, title: 'New conversation' }));
    w.app.CreateConversation.mockResolvedValueOnce(conversation({ id: 22, title: 'New conversation' }));
    await chat.newChat();
    conversations.upsert(conversation({ id: 5, title: 'Older' }));
    w.app.GetConversation.mockResolvedValueOnce({
      conversation: conversation({ id: 5 }),
      messages: [message({ id: 1, conversation_id: 5 })],
    });
    await chat.open(5);
    if (title !== 'New conversation') conversations.upsert(conversation({ id: 21, title }));
    w.app.GetConversation.mockResolvedValueOnce({ conversation: conversation({ id: 21, title }), messages });
    await chat.newChat();
    expect(chat.conversationId).toBe(reused ? 21 : 22);
    // Text typed meanwhile goes to a chat just made, not to one gone back to.
    expect(chat.carryTo).toBe(reused ? 0 : 22);
    expect(conversations.selectedId).toBe(chat.conversationId);
    expect(w.app.CreateConversation).toHaveBeenCalledTimes(reused ? 1 : 2);
    expect(chat.messages).toEqual([]);
  });

  it.each([
    { cut_tokens: 0, cut: undefined },
    { cut_tokens: 812, cut: 812 },
  ])('done records the tokens of a message too long for the context: $cut_tokens', async ({ cut_tokens, cut }) => {
    const { w, chat } = setup();
    await chat.send('Hello');
    w.emit('chat:stream:11', {
      type: 'done',
      message: message({ id: 11, conversation_id: 3, role: 'assistant', content: 'Hi', status: 'complete' }),
      result: {
        prompt_tokens: 5,
        completion_tokens: 1,
        prompt_tps: 1,
        tokens_per_second: 1,
        ttft_ms: 1,
        stop_reason: 'eog',
        context_used: 7,
        context_size: 64,
        cut_tokens,
      },
    });
    expect(chat.stats?.cut).toBe(cut);
  });

  it('missed first events are recovered through ActiveReply', async () => {
    const { w, chat, frames } = setup();
    await chat.send('Hello');
    w.app.ActiveReply.mockResolvedValue({
      conversation_id: 3,
      message_id: 11,
      stream: 'chat:stream:11',
      content: 'Once upon',
      seq: 2,
      completion_tokens: 2,
      tps: 9,
    });
    // seq 1 and 2 were emitted before the subscription.
    w.emit('chat:stream:11', { type: 'token', seq: 3, text: ' a time', completion_tokens: 3, tps: 9 });
    await settle();
    frames.run();
    expect(w.app.ActiveReply).toHaveBeenCalledWith(3);
    expect(reply(chat).content).toBe('Once upon a time');
  });

  it('opening a conversation mid-reply joins its stream', async () => {
    const { w, chat, frames } = setup();
    w.app.GetConversation.mockResolvedValue({
      conversation: conversation({ id: 5 }),
      messages: [
        message({ id: 50, conversation_id: 5, content: 'Hi' }),
        message({ id: 51, conversation_id: 5, role: 'assistant', content: 'Hel', status: 'streaming' }),
      ],
    });
    w.app.ActiveReply.mockResolvedValue({
      conversation_id: 5,
      message_id: 51,
      stream: 'chat:stream:51',
      content: 'Hello',
      seq: 4,
      completion_tokens: 4,
      tps: 9,
    });
    await chat.open(5);
    await settle();
    expect(w.runtime.EventsOn).toHaveBeenCalledWith('chat:stream:51', expect.any(Function));
    expect(chat.generating).toBe(true);
    w.emit('chat:stream:51', { type: 'token', seq: 4, text: 'lo', completion_tokens: 4, tps: 9 });
    w.emit('chat:stream:51', { type: 'token', seq: 5, text: ' there', completion_tokens: 5, tps: 9 });
    frames.run();
    expect(chat.messages[1].content).toBe('Hello there');
    w.emit('chat:stream:51', {
      type: 'done',
      message: message({ id: 51, conversation_id: 5, role: 'assistant', content: 'Hello there', status: 'complete' }),
      result: null,
    });
    expect(chat.generating).toBe(false);
    expect(chat.messages[1].status).toBe('complete');
  });

  it('a reply left "streaming" with nothing running is shown as stopped', async () => {
    const { w, chat } = setup();
    w.app.GetConversation.mockResolvedValue({
      conversation: conversation({ id: 5 }),
      messages: [message({ id: 51, conversation_id: 5, role: 'assistant', content: 'Hel', status: 'streaming' })],
    });
    await chat.open(5);
    await settle();
    expect(chat.messages[0].status).toBe('stopped');
    expect(chat.generating).toBe(false);
  });

  it('dispose unsubscribes from running streams', async () => {
    const { w, chat } = setup();
    await chat.send('Hello');
    chat.dispose();
    await afterDispatch();
    expect(w.subscribed('chat:stream:11')).toBe(0);
    expect(chat.busy).toEqual([]);
  });
});
