import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from '../../App.svelte';
import { deletePrompt } from '../stores/chat.svelte';
import { conversation, installFakeWails, message, modelInfo, settle } from '../../test/fakes';

const thread = [
  message({ id: 1, conversation_id: 1, role: 'user', content: 'Tell me a story' }),
  message({ id: 2, conversation_id: 1, role: 'assistant', content: 'Once upon a time' }),
  message({ id: 3, conversation_id: 1, role: 'user', content: 'And then?' }),
  message({ id: 4, conversation_id: 1, role: 'assistant', content: 'The end.' }),
];

describe('deleting a message', () => {
  it.each([
    { id: 1, title: 'Delete this message?', message: 'This message and the 3 messages below it will be deleted. This cannot be undone.' },
    { id: 3, title: 'Delete this message?', message: 'This message and the message below it will be deleted. This cannot be undone.' },
    { id: 4, title: 'Delete this reply?', message: 'This reply will be deleted. This cannot be undone.' },
  ])('says what goes: message $id', ({ id, title, message }) => {
    expect(deletePrompt(thread, id)).toEqual({ title, message });
  });

  it.each([
    { name: 'cancel keeps everything', confirm: false, calls: 0, left: [1, 2, 3, 4] },
    { name: 'confirm deletes it and those below', confirm: true, calls: 1, left: [1, 2] },
  ])('asks first: $name', async ({ confirm, calls, left }) => {
    const w = installFakeWails();
    w.app.ModelState.mockResolvedValue({ state: 'ready', model: modelInfo(), path: '/m/tiny.gguf', error: '' });
    w.app.ListConversations.mockResolvedValue([conversation({ id: 1, title: 'Story' })]);
    w.app.GetConversation.mockResolvedValue({ conversation: conversation({ id: 1 }), messages: thread });
    w.app.DeleteMessage.mockResolvedValue({ conversation: conversation({ id: 1 }), messages: thread.slice(0, 2) });
    render(App);
    await settle();
    await fireEvent.click(screen.getAllByTestId('conversation-item').find((c) => c.dataset.id === '1')!);
    await settle();
    const third = screen.getAllByTestId('message').find((m) => m.dataset.id === '3')!;
    await fireEvent.click(within(third).getByTestId('delete-message'));
    expect(w.app.DeleteMessage).not.toHaveBeenCalled();
    expect(screen.getByRole('alertdialog').textContent).toContain('and the message below it');
    await fireEvent.click(
      confirm ? screen.getByTestId('confirm-delete-message') : within(screen.getByRole('alertdialog')).getByText('Cancel'),
    );
    await settle();
    expect(w.app.DeleteMessage).toHaveBeenCalledTimes(calls);
    if (calls) expect(w.app.DeleteMessage).toHaveBeenCalledWith(3);
    expect(screen.getAllByTestId('message').map((m) => Number(m.dataset.id))).toEqual(left);
  });
});
