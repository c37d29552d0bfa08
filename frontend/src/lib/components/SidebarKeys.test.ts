import { afterEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import App from '../../App.svelte';
import { chat } from '../stores/chat.svelte';
import { conversation, installFakeWails, modelInfo, settle } from '../../test/fakes';

afterEach(() => chat.clear());

async function start() {
  const w = installFakeWails();
  w.app.ModelState.mockResolvedValue({ state: 'ready', model: modelInfo(), path: '/m/tiny.gguf', error: '' });
  const now = Date.now();
  w.app.ListConversations.mockResolvedValue([
    conversation({ id: 1, title: 'Story', updated_at: now }),
    conversation({ id: 2, title: 'Recipes', updated_at: now - 1000 }),
    conversation({ id: 3, title: 'Trip', updated_at: now - 2000 }),
  ]);
  render(App);
  await settle();
  return w;
}

const row = (id: number) => screen.getAllByTestId('conversation-item').find((c) => c.dataset.id === String(id))!;
const open = (id: number) => row(id).querySelector<HTMLElement>('button.open')!;

describe('the conversation list from the keyboard', () => {
  it('is one Tab stop: the first conversation (none open), its actions and the others off the Tab order', async () => {
    await start();
    const tabbable = screen
      .getAllByTestId('conversation-item')
      .flatMap((li) => [...li.querySelectorAll('button')])
      .filter((b) => b.tabIndex === 0);
    expect(tabbable).toEqual([open(1)]);
  });

  it.each([
    { name: '↓ goes to the next conversation', from: 1, key: 'ArrowDown', focused: () => open(2) },
    { name: '↑ to the one before', from: 2, key: 'ArrowUp', focused: () => open(1) },
    { name: 'End to the last', from: 1, key: 'End', focused: () => open(3) },
    { name: 'Home to the first', from: 3, key: 'Home', focused: () => open(1) },
    {
      name: '→ to its first action',
      from: 2,
      key: 'ArrowRight',
      focused: () => row(2).querySelector<HTMLElement>('[data-testid="pin-conversation"]')!,
    },
    { name: '↓ past the last stays', from: 3, key: 'ArrowDown', focused: () => open(3) },
  ])('$name', async ({ from, key, focused }) => {
    await start();
    open(from).focus();
    await fireEvent.keyDown(open(from), { key });
    expect(document.activeElement).toBe(focused());
  });

  it('← from an action goes back towards the title', async () => {
    await start();
    const rename = row(2).querySelector<HTMLElement>('[data-testid="rename-conversation"]')!;
    rename.focus();
    await fireEvent.keyDown(rename, { key: 'ArrowLeft' });
    expect(document.activeElement).toBe(row(2).querySelector('[data-testid="pin-conversation"]'));
  });

  it('F2 renames, Delete asks to delete', async () => {
    await start();
    await fireEvent.keyDown(open(2), { key: 'F2' });
    expect(screen.getByTestId('rename-input')).toBeTruthy();
    await fireEvent.keyDown(screen.getByTestId('rename-input'), { key: 'Escape' });
    await fireEvent.keyDown(open(3), { key: 'Delete' });
    expect(screen.getByRole('alertdialog').textContent).toContain('Trip');
  });

  it('the open conversation is the Tab stop', async () => {
    const w = await start();
    w.app.GetConversation.mockResolvedValue({ conversation: conversation({ id: 2 }), messages: [] });
    await fireEvent.click(open(2));
    await settle();
    expect(open(2).tabIndex).toBe(0);
    expect(open(1).tabIndex).toBe(-1);
  });

  // Alt+↓/↑ is the window's shortcut (not the list's keys): the Tab stop moves
  // with the open conversation in the same key press, not after a render,
  // and the focus with it when it was in the list.
  const altKey = (on: Element, key: string) =>
    on.dispatchEvent(new KeyboardEvent('keydown', { key, altKey: true, bubbles: true, cancelable: true }));

  it.each([
    { name: 'Alt+↓ from the open row: the next', from: 1, key: 'ArrowDown', to: 2 },
    { name: 'Alt+↑ from the open row: the one before', from: 2, key: 'ArrowUp', to: 1 },
  ])('$name takes the Tab stop and the focus at once', async ({ from, key, to }) => {
    const w = await start();
    w.app.GetConversation.mockImplementation(async (id: number) => ({ conversation: conversation({ id }), messages: [] }));
    await fireEvent.click(open(from));
    await settle();
    open(from).focus();
    altKey(open(from), key);
    expect(open(to).tabIndex).toBe(0);
    expect(open(from).tabIndex).toBe(-1);
    expect(document.activeElement).toBe(open(to));
    await settle();
    expect(row(to).querySelector('[aria-current="true"]')).toBe(open(to));
  });

  it('Alt+↓ from the message box moves the Tab stop and leaves the focus there', async () => {
    const w = await start();
    w.app.GetConversation.mockImplementation(async (id: number) => ({ conversation: conversation({ id }), messages: [] }));
    await fireEvent.click(open(1));
    await settle();
    const box = screen.getByTestId('composer-input');
    box.focus();
    altKey(box, 'ArrowDown');
    expect(open(2).tabIndex).toBe(0);
    expect(open(1).tabIndex).toBe(-1);
    expect(document.activeElement).toBe(box);
    altKey(box, 'ArrowDown');
    expect(open(3).tabIndex).toBe(0);
    expect(document.activeElement).toBe(box);
    await settle();
  });

  it.each([
    {
      name: 'a rename ended with Enter: its row',
      act: async () => {
        await fireEvent.keyDown(open(2), { key: 'F2' });
        await fireEvent.input(screen.getByTestId('rename-input'), { target: { value: 'Soups' } });
        await fireEvent.keyDown(screen.getByTestId('rename-input'), { key: 'Enter' });
      },
      focused: () => open(2),
    },
    {
      name: 'a rename cancelled with Esc: its row',
      act: async () => {
        await fireEvent.keyDown(open(3), { key: 'F2' });
        await fireEvent.keyDown(screen.getByTestId('rename-input'), { key: 'Escape' });
      },
      focused: () => open(3),
    },
    {
      name: 'a deletion: the row below',
      act: async () => {
        open(2).focus();
        await fireEvent.keyDown(open(2), { key: 'Delete' });
        await fireEvent.click(screen.getByTestId('confirm-delete'));
      },
      focused: () => open(3),
    },
    {
      name: 'the last one deleted: the row above',
      act: async () => {
        open(3).focus();
        await fireEvent.keyDown(open(3), { key: 'Delete' });
        await fireEvent.click(screen.getByTestId('confirm-delete'));
      },
      focused: () => open(2),
    },
    {
      name: 'pinning (the row moves to the pinned group): its row',
      act: async () => {
        const pinBtn = row(3).querySelector<HTMLElement>('[data-testid="pin-conversation"]')!;
        pinBtn.focus();
        await fireEvent.click(pinBtn);
      },
      focused: () => open(3),
    },
  ])('the focus after $name', async ({ act, focused }) => {
    const w = await start();
    w.app.PinConversation.mockImplementation(async (id: number, pinned: boolean) =>
      conversation({ id, title: 'Trip', pinned, updated_at: Date.now() - 2000 }),
    );
    w.app.RenameConversation.mockImplementation(async (id: number, title: string) =>
      conversation({ id, title, updated_at: Date.now() - 1000 }),
    );
    await act();
    await settle();
    expect(document.activeElement).toBe(focused());
  });
});
