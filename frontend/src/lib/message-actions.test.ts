import { describe, expect, it } from 'vitest';
import { canContinue, stopNote } from './message-actions';

describe('stop notes', () => {
  const reply = { role: 'assistant' as const, status: 'complete' as const, completion_tokens: 1024, content: 'Once' };
  it.each([
    ['length', 'Stopped at 1,024 tokens', true],
    ['context', 'Stopped — context full', true],
    ['eog', '', false],
    ['', '', false],
  ] as const)('%s', (reason, note, cont) => {
    expect(stopNote({ ...reply, stop_reason: reason })).toBe(note);
    expect(canContinue({ ...reply, stop_reason: reason })).toBe(cont);
  });
  it('a stopped reply can go on; a streaming one, a question or an empty reply cannot', () => {
    expect(canContinue({ ...reply, status: 'stopped', stop_reason: 'canceled' })).toBe(true);
    expect(canContinue({ ...reply, status: 'streaming', stop_reason: 'length' })).toBe(false);
    expect(canContinue({ ...reply, role: 'user', stop_reason: 'length' })).toBe(false);
    expect(canContinue({ ...reply, content: ' ', stop_reason: 'length' })).toBe(false);
    expect(stopNote({ ...reply, status: 'streaming', stop_reason: 'length' })).toBe('');
  });
});
