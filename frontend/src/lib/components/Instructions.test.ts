import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import App from '../../App.svelte';
import { ApiError } from '../api';
import { conversation, installFakeWails, message, modelInfo, settle } from '../../test/fakes';

const thread = [
  message({ id: 1, conversation_id: 1, role: 'user', content: 'Tell me a story' }),
  message({ id: 2, conversation_id: 1, role: 'assistant', content: 'Once upon a time' }),
];

async function openChat(instructions = '', messages = thread) {
  const w = installFakeWails();
  w.app.ModelState.mockResolvedValue({ state: 'ready', model: modelInfo(), path: '/m/tiny.gguf', error: '' });
  w.app.ListConversations.mockResolvedValue([
    conversation({ id: 1, title: 'Story', instructions, updated_at: 2000 }),
    conversation({ id: 2, title: 'Other', instructions: 'Be terse.', updated_at: 1000 }),
  ]);
  w.app.GetConversation.mockImplementation(async (id: unknown) => ({
    conversation: conversation({ id: id as number }),
    messages: id === 1 ? messages : [],
  }));
  render(App);
  await settle();
  await openRow(1);
  return w;
}

async function openRow(id: number) {
  const row = screen.getAllByTestId('conversation-item').find((c) => c.dataset.id === String(id))!;
  await fireEvent.click(row.querySelector('button.open')!);
  await settle();
}

describe("a conversation's instructions", () => {
  it.each([
    { name: 'from the conversation bar', messages: thread },
    { name: 'from an empty chat', messages: [] },
  ])('are given $name, saved, and shown above the messages', async ({ messages }) => {
    const w = await openChat('', messages);
    expect(screen.queryByTestId('instructions')).toBeNull();
    await fireEvent.click(screen.getByTestId('instructions-add'));
    const input = screen.getByTestId('instructions-input') as HTMLTextAreaElement;
    await settle();
    expect(document.activeElement?.getAttribute('data-testid')).toBe('instructions-input');
    await fireEvent.input(input, { target: { value: '  Answer as a pirate.  ' } });
    await fireEvent.click(screen.getByTestId('instructions-save'));
    await settle();
    expect(w.app.SetInstructions).toHaveBeenCalledWith(1, '  Answer as a pirate.  ');
    expect(screen.queryByTestId('instructions-form')).toBeNull();
    expect(screen.getByTestId('instructions-text').textContent).toBe('Answer as a pirate.');
    expect(screen.queryByTestId('instructions-add')).toBeNull(); // Edit takes its place
  });

  it('are edited with Ctrl+Enter, kept as they were on Esc, and removed', async () => {
    const w = await openChat('Answer as a pirate.');
    await fireEvent.click(screen.getByTestId('instructions-edit'));
    const input = screen.getByTestId('instructions-input') as HTMLTextAreaElement;
    expect(input.value).toBe('Answer as a pirate.');
    await fireEvent.input(input, { target: { value: 'Something else' } });
    await fireEvent.keyDown(input, { key: 'Escape' });
    expect(screen.queryByTestId('instructions-form')).toBeNull();
    expect(w.app.SetInstructions).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId('instructions-edit'));
    const again = screen.getByTestId('instructions-input') as HTMLTextAreaElement;
    expect(again.value).toBe('Answer as a pirate.'); // the abandoned edit is not brought back
    await fireEvent.input(again, { target: { value: 'Answer in French.' } });
    await fireEvent.keyDown(again, { key: 'Enter', ctrlKey: true });
    await settle();
    expect(w.app.SetInstructions).toHaveBeenLastCalledWith(1, 'Answer in French.');
    await fireEvent.click(screen.getByTestId('instructions-edit'));
    await fireEvent.click(screen.getByTestId('instructions-remove'));
    await settle();
    expect(w.app.SetInstructions).toHaveBeenLastCalledWith(1, '');
    expect(screen.queryByTestId('instructions')).toBeNull();
  });

  it('a refusal is said under the field and the form stays open', async () => {
    const w = await openChat();
    w.app.SetInstructions.mockRejectedValueOnce(new ApiError('invalid', 'the instructions are not valid text'));
    await fireEvent.click(screen.getByTestId('instructions-add'));
    await fireEvent.input(screen.getByTestId('instructions-input'), { target: { value: 'x' } });
    await fireEvent.click(screen.getByTestId('instructions-save'));
    await settle();
    expect(screen.getByTestId('instructions-error').textContent).toContain('the instructions are not valid text');
    expect(screen.getByTestId('instructions-input').getAttribute('aria-invalid')).toBe('true');
  });

  it('too long is said before saving', async () => {
    await openChat();
    await fireEvent.click(screen.getByTestId('instructions-add'));
    await fireEvent.input(screen.getByTestId('instructions-input'), { target: { value: 'é'.repeat(17 * 1024) } });
    expect(screen.getByTestId('instructions-error').textContent).toContain('at most 32 KB');
    expect((screen.getByTestId('instructions-save') as HTMLButtonElement).disabled).toBe(true);
  });

  it('each conversation shows its own; opening another closes the form', async () => {
    await openChat('Answer as a pirate.');
    await fireEvent.click(screen.getByTestId('instructions-edit'));
    await openRow(2);
    expect(screen.queryByTestId('instructions-form')).toBeNull();
    expect(screen.getByTestId('instructions-text').textContent).toBe('Be terse.');
  });
});

describe('the instructions form and the keyboard', () => {
  it.each([
    { name: 'Esc from Cancel', key: true, setFirst: false },
    { name: 'Cancel', key: false, setFirst: false },
    { name: 'Esc, instructions set', key: true, setFirst: true },
  ])('$name closes it and gives the focus back to what opened it', async ({ key, setFirst }) => {
    await openChat(setFirst ? 'Answer as a pirate.' : '');
    const opener = screen.getByTestId(setFirst ? 'instructions-edit' : 'instructions-add');
    await fireEvent.click(opener);
    const cancel = screen.getByTestId('instructions-cancel');
    if (key) await fireEvent.keyDown(cancel, { key: 'Escape' });
    else await fireEvent.click(cancel);
    await settle();
    expect(screen.queryByTestId('instructions-form')).toBeNull();
    expect(document.activeElement?.getAttribute('data-testid')).toBe(setFirst ? 'instructions-edit' : 'instructions-add');
  });

  it('after saving, the focus is on Edit', async () => {
    await openChat();
    await fireEvent.click(screen.getByTestId('instructions-add'));
    await fireEvent.input(screen.getByTestId('instructions-input'), { target: { value: 'Be terse.' } });
    await fireEvent.click(screen.getByTestId('instructions-save'));
    await settle();
    expect(document.activeElement?.getAttribute('data-testid')).toBe('instructions-edit');
  });

  it('a too-long text is announced with the field', async () => {
    await openChat();
    await fireEvent.click(screen.getByTestId('instructions-add'));
    const input = screen.getByTestId('instructions-input');
    await fireEvent.input(input, { target: { value: 'x'.repeat(33 * 1024) } });
    expect(input.getAttribute('aria-describedby')).toContain('instructions-error');
  });
});
