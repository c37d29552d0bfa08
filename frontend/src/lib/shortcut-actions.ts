import { flushSync } from 'svelte';
import { shortcutFor, neighbour } from './shortcuts';
import { chat } from './stores/chat.svelte';
import { conversations } from './stores/conversations.svelte';
import { documents } from './stores/documents.svelte';
import { search } from './stores/search.svelte';
import { settings } from './stores/settings.svelte';
import { ui } from './stores/ui.svelte';

/** Focus the message box (after a new chat). */
export function focusComposer(): void {
  queueMicrotask(() => document.querySelector<HTMLTextAreaElement>('[data-testid="composer-input"]')?.focus());
}

/** The conversation list's row for conversation id (its title button), if shown. */
export function conversationRow(id: number): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[data-testid="conversation-item"][data-id="${id}"] button.open`);
}

/**
 * Open the conversation Alt+↓/↑ chose. The list's Tab stop (the open
 * conversation) moves in this key press, not at the next render, and a focus
 * that was in the list goes with it: the keyboard's place is the open row.
 */
function openNeighbour(id: number): void {
  const inList = document.activeElement?.closest('[data-testid="conversation-item"]') != null;
  documents.close();
  void chat.open(id); // selects the conversation before its first await
  flushSync();
  if (inList) conversationRow(id)?.focus();
}

/** Run the shortcut a key press asks for, if any. Esc stops a reply only when no dialog took it. */
export function runShortcut(e: KeyboardEvent): void {
  const action = shortcutFor(e);
  if (!action || e.defaultPrevented) return;
  switch (action) {
    case 'newChat':
      e.preventDefault();
      documents.close();
      void chat.newChat().then(focusComposer);
      return;
    case 'search':
      e.preventDefault();
      search.show();
      return;
    case 'stop':
      // Esc closes what is open first (the search, the shortcut list, the sidebar drawer).
      if (chat.generating && !search.open && !ui.shortcutsOpen && !ui.drawerOpen) {
        e.preventDefault();
        void chat.stop();
      }
      return;
    case 'settings':
      e.preventDefault();
      settings.show();
      return;
    case 'next':
    case 'previous': {
      e.preventDefault();
      const id = neighbour(
        conversations.list.map((c) => c.id),
        conversations.selectedId,
        action === 'next' ? 1 : -1,
      );
      if (id !== null) openNeighbour(id);
      return;
    }
    case 'toggleSidebar':
      e.preventDefault();
      ui.toggleSidebar();
      return;
    case 'help':
      e.preventDefault();
      ui.shortcutsOpen = true;
      return;
  }
}
