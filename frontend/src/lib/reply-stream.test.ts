import { describe, expect, it } from 'vitest';
import { ReplyStream } from './reply-stream';
import type { TokenEvent } from './types';

const tok = (seq: number, text: string): TokenEvent => ({ type: 'token', seq, text, completion_tokens: seq, tps: 10 });

describe('ReplyStream', () => {
  it('applies events in order and drops duplicates', () => {
    const s = new ReplyStream({ stream: 'chat:stream:1', conversationId: 1, messageId: 1, synced: true });
    expect(s.push(tok(1, 'Once'))).toBe('ok');
    expect(s.push(tok(2, ' upon'))).toBe('ok');
    expect(s.push(tok(2, ' upon'))).toBe('dup');
    expect(s.take()).toBe('Once upon');
    expect(s.take()).toBeNull();
  });

  it('a gap (missed first events) rebases on ActiveReply and keeps later events', () => {
    const s = new ReplyStream({ stream: 'chat:stream:1', conversationId: 1, messageId: 1, synced: true });
    expect(s.push(tok(3, ' a'))).toBe('gap');
    expect(s.push(tok(4, ' time'))).toBe('queued');
    s.rebase({ conversation_id: 1, message_id: 1, stream: 'chat:stream:1', content: 'Once upon a', seq: 3, completion_tokens: 3, tps: 9 });
    expect(s.take()).toBe('Once upon a time');
    expect(s.seq).toBe(4);
    expect(s.push(tok(5, '.'))).toBe('ok');
    expect(s.take()).toBe('Once upon a time.');
  });

  it('joining mid-stream queues events until the text so far is known', () => {
    const s = new ReplyStream({ stream: 'chat:stream:9', conversationId: 2, messageId: 9, synced: false });
    expect(s.push(tok(7, 'x'))).toBe('queued');
    expect(s.push(tok(8, 'y'))).toBe('queued');
    s.rebase({ conversation_id: 2, message_id: 9, stream: 'chat:stream:9', content: 'abcdefx', seq: 7, completion_tokens: 7, tps: 9 });
    expect(s.take()).toBe('abcdefxy');
  });

  it('rebase(null) (the run ended) applies what was queued', () => {
    const s = new ReplyStream({ stream: 'chat:stream:9', conversationId: 2, messageId: 9, synced: false });
    s.push(tok(2, 'b'));
    s.push(tok(1, 'a'));
    s.rebase(null);
    expect(s.take()).toBe('ab');
  });

  it('events without seq are applied in arrival order', () => {
    const s = new ReplyStream({ stream: 'x', conversationId: 1, messageId: 1, synced: true });
    s.push({ type: 'token', text: 'a', completion_tokens: 1, tps: 1 });
    s.push({ type: 'token', text: 'b', completion_tokens: 2, tps: 1 });
    expect(s.take()).toBe('ab');
  });
});
