import { afterEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import App from '../../App.svelte';
import { NARROW_QUERY, ui } from '../stores/ui.svelte';
import { chat } from '../stores/chat.svelte';
import { documents } from '../stores/documents.svelte';
import { conversation, documentDetail, documentInfo, installFakeWails, message, modelInfo, passage, settle } from '../../test/fakes';

// A window whose width the test sets: matchMedia answers NARROW_QUERY from it.
function fakeWidth(narrow: boolean) {
  const listeners = new Set<() => void>();
  const mq = {
    get matches() {
      return state.narrow;
    },
    addEventListener: (_: string, fn: () => void) => listeners.add(fn),
    removeEventListener: (_: string, fn: () => void) => listeners.delete(fn),
  };
  const state = { narrow };
  const before = window.matchMedia;
  window.matchMedia = ((q: string) =>
    q === NARROW_QUERY ? mq : { matches: false, addEventListener() {}, removeEventListener() {} }) as never;
  return {
    set(next: boolean) {
      state.narrow = next;
      listeners.forEach((fn) => fn());
    },
    restore: () => (window.matchMedia = before),
  };
}

let restore = () => {};
afterEach(() => {
  restore();
  ui.sidebarHidden = false;
  ui.drawerOpen = false;
  ui.narrow = false;
  chat.clear(); // the stores outlive a test: each starts with no conversation open
});

async function start(narrow: boolean) {
  const width = fakeWidth(narrow);
  restore = width.restore;
  const w = installFakeWails();
  w.app.ModelState.mockResolvedValue({ state: 'ready', model: modelInfo(), path: '/m/tiny.gguf', error: '' });
  w.app.ListConversations.mockResolvedValue([conversation({ id: 1, title: 'Story' }), conversation({ id: 2, title: 'Recipes' })]);
  w.app.GetConversation.mockResolvedValue({ conversation: conversation({ id: 2 }), messages: [message({ id: 9, conversation_id: 2 })] });
  render(App);
  await settle();
  return { w, width };
}

const sidebar = () => screen.queryByTestId('sidebar');
const toggle = () => screen.getByTestId('toggle-sidebar');

describe('a narrow window', () => {
  it('starts with the sidebar closed; ☰ opens it over the content as a dialog', async () => {
    await start(true);
    expect(sidebar()).toBeNull();
    expect(toggle().getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(toggle());
    expect(sidebar()?.getAttribute('role')).toBe('dialog');
    expect(sidebar()?.classList.contains('drawer')).toBe(true);
    expect(toggle().getAttribute('aria-expanded')).toBe('true');
    expect(sidebar()?.contains(document.activeElement)).toBe(true);
  });

  it.each([
    {
      name: 'choosing a conversation opens it',
      close: async () => {
        const item = screen.getAllByTestId('conversation-item').find((c) => c.dataset.id === '2')!;
        await fireEvent.click(item.querySelector('button')!);
      },
      focusOnToggle: false,
    },
    { name: 'New chat', close: () => fireEvent.click(screen.getByTestId('new-chat')), focusOnToggle: false },
    { name: 'Escape', close: () => fireEvent.keyDown(window, { key: 'Escape' }), focusOnToggle: true },
    { name: 'a click beside it', close: () => fireEvent.click(screen.getByTestId('sidebar-scrim')), focusOnToggle: false },
  ])('closes the drawer: $name', async ({ name, close, focusOnToggle }) => {
    const { w } = await start(true);
    await fireEvent.click(toggle());
    expect(sidebar()).not.toBeNull();
    await close();
    await settle();
    expect(sidebar()).toBeNull();
    expect(screen.queryByTestId('sidebar-scrim')).toBeNull();
    if (focusOnToggle) expect(document.activeElement).toBe(toggle());
    if (name.startsWith('choosing')) expect(w.app.GetConversation).toHaveBeenCalledWith(2);
  });

  it('Escape in a dialog over the drawer closes the dialog only', async () => {
    await start(true);
    await fireEvent.click(toggle());
    const item = screen.getAllByTestId('conversation-item').find((c) => c.dataset.id === '1')!;
    await fireEvent.click(item.querySelector('[aria-label^="Delete"]')!);
    expect(screen.getByRole('alertdialog')).toBeTruthy();
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(sidebar()).not.toBeNull();
  });

  it('Escape in the drawer over an open passage closes the drawer, not the passage behind it', async () => {
    const { w } = await start(true);
    const detail = documentDetail({ document: documentInfo({ id: 1 }) });
    w.app.ListDocuments.mockResolvedValue([detail.document]);
    w.app.GetDocument.mockResolvedValue(detail);
    w.app.GetPassage.mockResolvedValue(passage({ first_chunk: 5, last_chunk: 5, text: 'The cited passage.' }));
    await documents.open(1);
    await documents.showPassage(5, 5);
    await settle();
    expect(screen.getByTestId('passage')).toBeTruthy();
    await fireEvent.click(toggle());
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(sidebar()).toBeNull();
    expect(screen.getByTestId('passage')).toBeTruthy();
    // The drawer gone, Escape is the passage's again.
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('passage')).toBeNull();
    documents.dispose();
  });

  it('widening the window puts the sidebar back beside the content', async () => {
    const { width } = await start(true);
    await fireEvent.click(toggle());
    width.set(false);
    await settle();
    expect(sidebar()).not.toBeNull();
    expect(sidebar()?.getAttribute('role')).toBeNull();
    expect(screen.queryByTestId('sidebar-scrim')).toBeNull();
    // Narrow again: closed, the wide window's choice kept for later.
    width.set(true);
    await settle();
    expect(sidebar()).toBeNull();
  });
});

describe('a wide window', () => {
  it('☰ hides and shows the sidebar beside the content', async () => {
    await start(false);
    expect(sidebar()?.getAttribute('role')).toBeNull();
    await fireEvent.click(toggle());
    expect(sidebar()).toBeNull();
    expect(toggle().getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(toggle());
    expect(sidebar()).not.toBeNull();
  });
});
