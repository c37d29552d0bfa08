import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import Composer from './Composer.svelte';
import { DraftStore } from '../stores/drafts.svelte';
import { ToastStore } from '../stores/toasts.svelte';
import type { Draft } from '../types';

/** Drafts kept by a fake database: what was written, and what the last start had left. */
function keeper(before: Draft[] = [], opts: { held?: boolean } = {}) {
  const saved: [number, string][] = [];
  let arrive = () => {};
  const arrived = new Promise<void>((r) => (arrive = r));
  const store = new DraftStore({
    save: async (id, text) => void saved.push([id, text]),
    load: async () => {
      if (opts.held) await arrived;
      return before;
    },
    notify: new ToastStore(),
    delay: 20,
  });
  void store.load();
  return { store, saved, arrive };
}

function setup(props: Partial<{ generating: boolean; disabled: boolean; onsend: (t: string) => boolean | Promise<boolean> }> = {}) {
  const onsend = vi.fn(props.onsend ?? (() => true));
  const onstop = vi.fn();
  render(Composer, { generating: props.generating ?? false, disabled: props.disabled ?? false, onsend, onstop });
  const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
  return { onsend, onstop, input };
}

describe('Composer', () => {
  it('Enter sends the text and clears the input', async () => {
    const { onsend, input } = setup();
    await fireEvent.input(input, { target: { value: 'Hello there' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(onsend).toHaveBeenCalledWith('Hello there');
    expect(input.value).toBe('');
  });

  it('Shift+Enter does not send', async () => {
    const { onsend, input } = setup();
    await fireEvent.input(input, { target: { value: 'line one' } });
    await fireEvent.keyDown(input, { key: 'Enter', shiftKey: true });
    expect(onsend).not.toHaveBeenCalled();
  });

  it('does not send while an input method is composing', async () => {
    const { onsend, input } = setup();
    await fireEvent.input(input, { target: { value: 'にほん' } });
    await fireEvent.keyDown(input, { key: 'Enter', isComposing: true });
    await fireEvent.keyDown(input, { key: 'Enter', keyCode: 229 });
    expect(onsend).not.toHaveBeenCalled();
  });

  it('does not send blank text', async () => {
    const { onsend, input } = setup();
    await fireEvent.input(input, { target: { value: '   ' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(onsend).not.toHaveBeenCalled();
  });

  it('the Send button sends; it is disabled while empty', async () => {
    const { onsend, input } = setup();
    const send = screen.getByTestId('send-button') as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    await fireEvent.input(input, { target: { value: 'Hi' } });
    expect(send.disabled).toBe(false);
    await fireEvent.click(send);
    expect(onsend).toHaveBeenCalledWith('Hi');
  });

  it('restores the draft when sending fails', async () => {
    const { input } = setup({ onsend: async () => false });
    await fireEvent.input(input, { target: { value: 'keep me' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await vi.waitFor(() => expect(input.value).toBe('keep me'));
  });

  it('shows Stop instead of Send while generating', async () => {
    const { onsend, onstop, input } = setup({ generating: true });
    expect(screen.queryByTestId('send-button')).toBeNull();
    await fireEvent.click(screen.getByTestId('stop-button'));
    expect(onstop).toHaveBeenCalled();
    await fireEvent.input(input, { target: { value: 'next' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(onsend).not.toHaveBeenCalled();
  });
});

describe('Composer drafts', () => {
  it('each conversation keeps its own unsent text', async () => {
    const onsend = vi.fn(() => true);
    const { rerender } = render(Composer, { generating: false, onsend, onstop: vi.fn(), draftKey: 1 });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'half a thought' } });
    await rerender({ draftKey: 2 });
    expect(input.value).toBe('');
    await fireEvent.input(input, { target: { value: 'another' } });
    await rerender({ draftKey: 1 });
    expect(input.value).toBe('half a thought');
    await rerender({ draftKey: 2 });
    expect(input.value).toBe('another');
  });

  it('text typed while New chat makes its conversation goes with the new chat, once', async () => {
    const { rerender } = render(Composer, { generating: false, onsend: vi.fn(() => true), onstop: vi.fn(), draftKey: 1 });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'Once upon a time' } });
    await rerender({ draftKey: 5, carryTo: 5 }); // the new chat opened after the typing
    expect(input.value).toBe('Once upon a time');
    await rerender({ draftKey: 1, carryTo: 5 });
    expect(input.value).toBe(''); // conversation 1 kept no copy: the text went with the new chat
    await rerender({ draftKey: 5, carryTo: 5 });
    expect(input.value).toBe('Once upon a time'); // back in the new chat: its draft, not carried again
  });
});

describe('Composer drafts kept across restarts', () => {
  const draft = (conversation_id: number, text: string): Draft => ({ conversation_id, text, updated_at: 1 });

  it('brings back the draft the last run left, per conversation and with none open', async () => {
    const { store } = keeper([draft(3, 'Dear Sir,'), draft(0, 'a first question')]);
    await vi.waitFor(() => expect(store.loaded).toBe(true));
    const { rerender } = render(Composer, { generating: false, onsend: vi.fn(() => true), onstop: vi.fn(), draftKey: 3, drafts: store });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    expect(input.value).toBe('Dear Sir,');
    await rerender({ draftKey: 0 });
    expect(input.value).toBe('a first question');
  });

  it('drafts that arrive after the box opened fill it, unless typing began', async () => {
    const late = keeper([draft(3, 'saved before')], { held: true });
    render(Composer, { generating: false, onsend: vi.fn(() => true), onstop: vi.fn(), draftKey: 3, drafts: late.store });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    expect(input.value).toBe('');
    late.arrive();
    await vi.waitFor(() => expect(input.value).toBe('saved before'));
  });

  it('typing before the drafts arrive is not overwritten by them', async () => {
    const late = keeper([draft(3, 'saved before')], { held: true });
    render(Composer, { generating: false, onsend: vi.fn(() => true), onstop: vi.fn(), draftKey: 3, drafts: late.store });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'typed first' } });
    late.arrive();
    await vi.waitFor(() => expect(late.store.loaded).toBe(true));
    expect(input.value).toBe('typed first');
  });

  it('writes typing, writes at once on switching, and forgets the draft once sent', async () => {
    const { store, saved } = keeper();
    const { rerender } = render(Composer, { generating: false, onsend: vi.fn(() => true), onstop: vi.fn(), draftKey: 1, drafts: store });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'Hel' } });
    await fireEvent.input(input, { target: { value: 'Hello' } });
    await vi.waitFor(() => expect(saved).toEqual([[1, 'Hello']]));
    await fireEvent.input(input, { target: { value: 'Hello there' } });
    await rerender({ draftKey: 2 }); // switching does not wait for the pause
    expect(saved).toContainEqual([1, 'Hello there']);
    await rerender({ draftKey: 1 });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await vi.waitFor(() => expect(saved.at(-1)).toEqual([1, '']));
    expect(store.get(1)).toBe('');
  });

  it('an emptied box forgets its draft at once, without waiting for a pause', async () => {
    const { store, saved } = keeper();
    render(Composer, { generating: false, onsend: vi.fn(() => true), onstop: vi.fn(), draftKey: 6, drafts: store });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'never mind' } });
    await fireEvent.input(input, { target: { value: '' } });
    expect(saved).toEqual([[6, '']]); // written in the same task; the pending 'never mind' went with it
  });

  it('a message not sent is kept again', async () => {
    const { store, saved } = keeper();
    render(Composer, { generating: false, onsend: vi.fn(async () => false), onstop: vi.fn(), draftKey: 4, drafts: store });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'keep me' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await vi.waitFor(() => expect(saved.at(-1)).toEqual([4, 'keep me']));
    expect(input.value).toBe('keep me');
  });

  it('a message not sent after switching away goes back to its own conversation', async () => {
    const { store } = keeper();
    let fail: (sent: boolean) => void = () => {};
    const onsend = vi.fn(() => new Promise<boolean>((r) => (fail = r)));
    const { rerender } = render(Composer, { generating: false, onsend, onstop: vi.fn(), draftKey: 4, drafts: store });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'for four' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await rerender({ draftKey: 5 });
    fail(false);
    await vi.waitFor(() => expect(store.get(4)).toBe('for four'));
    expect(input.value).toBe(''); // not poured into conversation 5's box
  });

  it('text carried to a new chat is kept there, not in the old one', async () => {
    const { store, saved } = keeper();
    const { rerender } = render(Composer, { generating: false, onsend: vi.fn(() => true), onstop: vi.fn(), draftKey: 1, drafts: store });
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'Once upon a time' } });
    await rerender({ draftKey: 5, carryTo: 5 });
    await vi.waitFor(() => expect(saved).toContainEqual([5, 'Once upon a time']));
    expect([store.get(1), store.get(5)]).toEqual(['', 'Once upon a time']);
  });
});
