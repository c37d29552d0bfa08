import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import Composer from './Composer.svelte';

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
