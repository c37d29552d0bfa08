import { shortcutFor, neighbour } from './shortcuts';
import { chat } from './stores/chat.svelte';
import { conversations } from './stores/conversations.svelte';
import { documents } from './stores/documents.svelte';
import { search } from './stores/search.svelte';
import { settings } from './stores/settings.svelte';
import { ui } from './stores/ui.svelte';

/** Focus the message box (after a new chat). */
function focusComposer(): void {
  queueMicrotask(() => document.querySelector<HTMLTextAreaElement>('[data-testid="composer-input"]')?.focus());
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
      if (id !== null) {
        documents.close();
        void chat.open(id);
      }
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
