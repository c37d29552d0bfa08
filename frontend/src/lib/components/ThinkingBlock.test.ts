import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import ThinkingBlock from './ThinkingBlock.svelte';
import MessageView from './MessageView.svelte';
import { ReplyStream } from '../reply-stream';
import { thinks, withThinking, normalise, DEFAULT_SETTINGS } from '../stores/settings.svelte';
import type { Message } from '../types';

const reply = (over: Partial<Message>): Message => ({
  id: 2,
  conversation_id: 1,
  role: 'assistant',
  content: '',
  status: 'complete',
  error: '',
  model: '/m/qwen3.gguf',
  prompt_tokens: 10,
  completion_tokens: 40,
  tokens_per_second: 20,
  created_at: 1,
  updated_at: 2,
  ...over,
});

describe('ThinkingBlock', () => {
  it.each([
    { ms: 12, active: false, label: 'Thought for 12 ms' },
    { ms: 1840, active: false, label: 'Thought for 1.8 s' },
    { ms: 12_400, active: false, label: 'Thought for 12 s' },
    { ms: 125_000, active: false, label: 'Thought for 2 min 5 s' },
    { ms: 0, active: true, label: 'Thinking…' },
  ])('labels $ms ms (active $active) as "$label"', ({ ms, active, label }) => {
    render(ThinkingBlock, { thinking: 'step one', ms, active });
    expect(screen.getByTestId('thinking-label').textContent).toBe(label);
  });

  it('is collapsed until opened, and shows the thinking as text, never as HTML', async () => {
    render(ThinkingBlock, { thinking: '\n<img src=x onerror=alert(1)> 2 + 2 = 4\n', ms: 1500 });
    expect(screen.queryByTestId('thinking-text')).toBeNull();
    await fireEvent.click(screen.getByTestId('thinking-toggle'));
    const body = screen.getByTestId('thinking-text');
    expect(body.textContent).toBe('<img src=x onerror=alert(1)> 2 + 2 = 4');
    expect(body.querySelector('img')).toBeNull();
    expect(screen.getByTestId('thinking-toggle').getAttribute('aria-expanded')).toBe('true');
  });
});

describe('MessageView with thinking', () => {
  it.each([
    {
      name: 'a finished reply',
      m: reply({ content: 'Hello!', thinking: 'The user greets me.', thinking_ms: 2100 }),
      label: 'Thought for 2.1 s',
    },
    { name: 'still thinking', m: reply({ status: 'streaming', thinking: 'Let me see' }), label: 'Thinking…' },
    {
      name: 'answering after thinking',
      m: reply({ status: 'streaming', content: 'The', thinking: 'done', thinking_ms: 900 }),
      label: 'Thought for 900 ms',
    },
  ])('$name: the block sits above the answer', ({ m, label }) => {
    const { container } = render(MessageView, { message: m });
    const block = screen.getByTestId('thinking');
    expect(screen.getByTestId('thinking-label').textContent).toBe(label);
    const content = container.querySelector('.content')!;
    expect(block.compareDocumentPosition(content) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(content.textContent).not.toContain(m.thinking!);
  });

  it('a reply without thinking has no block', () => {
    render(MessageView, { message: reply({ content: 'Hi' }) });
    expect(screen.queryByTestId('thinking')).toBeNull();
  });
});

describe('thinking on the reply stream', () => {
  it('keeps thinking apart from the answer, through a gap and a rebase', () => {
    const s = new ReplyStream({ stream: 'chat:stream:2', conversationId: 1, messageId: 2, synced: true });
    expect(s.push({ type: 'token', seq: 1, text: '', thinking: 'Hmm, ', completion_tokens: 2, tps: 5 })).toBe('ok');
    expect(s.takeThinking()).toBe('Hmm, ');
    expect(s.take()).toBeNull();
    expect(s.push({ type: 'token', seq: 3, text: 'Hi', thinking: '', completion_tokens: 6, tps: 5 })).toBe('gap');
    s.rebase({
      conversation_id: 1,
      message_id: 2,
      stream: 'chat:stream:2',
      content: '',
      thinking: 'Hmm, a greeting.',
      seq: 2,
      completion_tokens: 5,
      tps: 5,
    });
    expect(s.takeThinking()).toBe('Hmm, a greeting.');
    expect(s.take()).toBe('Hi');
    expect(s.takeThinking()).toBeNull();
  });
});

describe('Think before answering setting', () => {
  it('is on by default and remembered per model', () => {
    const a = '/models/qwen3.gguf';
    const b = '/models/r1.gguf';
    let s = normalise({ ...DEFAULT_SETTINGS });
    expect(thinks(s, a)).toBe(true);
    s = withThinking(s, a, false);
    expect([thinks(s, a), thinks(s, b)]).toEqual([false, true]);
    s = withThinking(withThinking(s, a, false), a, true);
    expect(s.thinking_off).toEqual([]);
    expect(normalise({ ...DEFAULT_SETTINGS, thinking_off: [a, 3 as unknown as string] }).thinking_off).toEqual([a]);
  });
});
