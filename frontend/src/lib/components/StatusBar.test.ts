import { afterEach, describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import StatusBar from './StatusBar.svelte';
import { model } from '../stores/model.svelte';
import { chat } from '../stores/chat.svelte';
import type { ModelInfo } from '../types';

const info = (over: Partial<ModelInfo>): ModelInfo => ({
  path: '/m/x.gguf',
  name: 'x',
  description: '',
  architecture: 'llama',
  size_bytes: 1,
  params: 1,
  context_size: 4096,
  train_context: 4096,
  has_template: true,
  ...over,
});

afterEach(() => {
  model.state = { state: 'none', model: null, path: '', error: '' };
  chat.stats = null;
});

describe('StatusBar: the chat template in use', () => {
  it.each([
    { mode: 'jinja' as const, has: true, tag: "model's template", plain: false },
    { mode: 'builtin' as const, has: true, tag: 'built-in template', plain: false },
    { mode: 'plain' as const, has: false, tag: null, plain: true },
  ])('$mode', ({ mode, has, tag, plain }) => {
    model.state = { state: 'ready', model: info({ template_mode: mode, has_template: has }), path: '/m/x.gguf', error: '' };
    render(StatusBar);
    const el = screen.queryByTestId('status-template');
    expect(el?.textContent ?? null).toBe(tag);
    expect(screen.getByTestId('status-bar').textContent?.includes('plain completion')).toBe(plain);
  });

  it.each([
    { unusable: false, shown: 'plain completion (no chat template)' },
    { unusable: true, shown: 'plain completion (its chat template could not be used)' },
  ])('a plain-completion model says whether it has no template or one set aside: $unusable', ({ unusable, shown }) => {
    model.state = {
      state: 'ready',
      model: info({ template_mode: 'plain', has_template: false, template_unusable: unusable }),
      path: '/m/x.gguf',
      error: '',
    };
    render(StatusBar);
    expect(screen.getByTestId('status-plain').textContent?.trim()).toBe(shown);
  });

  it('says when the conversation was adapted to the template', () => {
    model.state = { state: 'ready', model: info({ template_mode: 'jinja' }), path: '/m/x.gguf', error: '' };
    render(StatusBar);
    expect(screen.queryByTestId('status-template-note')).toBeNull();
    chat.stats = {
      tps: 1,
      completion_tokens: 1,
      context_used: 1,
      context_size: 4096,
      dropped: 0,
      shifted: 0,
      note: 'the system prompt was put at the start of the first message',
    };
    flushSync();
    expect(screen.getByTestId('status-template-note').getAttribute('title')).toContain('system prompt');
  });

  it.each([
    { cut: 0, shown: null },
    { cut: 1234, shown: 'message too long: its first 1,234 tokens not read' },
  ])('says when a message too long for the context was read from its end only: $cut', ({ cut, shown }) => {
    model.state = { state: 'ready', model: info({ template_mode: 'jinja' }), path: '/m/x.gguf', error: '' };
    render(StatusBar);
    chat.stats = { tps: 1, completion_tokens: 1, context_used: 1, context_size: 4096, dropped: 0, cut, shifted: 0 };
    flushSync();
    expect(screen.queryByTestId('status-cut')?.textContent?.trim() ?? null).toBe(shown);
  });
});
