/** The window's keyboard shortcuts: one table, used by the handler and the shortcut list. */
export type ShortcutAction = 'newChat' | 'search' | 'stop' | 'settings' | 'next' | 'previous' | 'toggleSidebar' | 'help';

export interface Shortcut {
  action: ShortcutAction;
  keys: string; // as shown in the list
  label: string;
  match(e: KeyboardEvent): boolean;
}

const mod = (e: KeyboardEvent) => e.ctrlKey || e.metaKey;

export const shortcuts: Shortcut[] = [
  { action: 'newChat', keys: 'Ctrl+N', label: 'New chat', match: (e) => mod(e) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'n' },
  {
    action: 'search',
    keys: 'Ctrl+K',
    label: 'Search conversations and documents',
    match: (e) => mod(e) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'k',
  },
  {
    action: 'stop',
    keys: 'Esc',
    label: 'Stop the reply being written',
    match: (e) => e.key === 'Escape' && !mod(e) && !e.altKey && !e.shiftKey,
  },
  { action: 'settings', keys: 'Ctrl+,', label: 'Generation settings', match: (e) => mod(e) && !e.altKey && e.key === ',' },
  { action: 'next', keys: 'Alt+↓', label: 'Next conversation', match: (e) => e.altKey && !mod(e) && e.key === 'ArrowDown' },
  { action: 'previous', keys: 'Alt+↑', label: 'Previous conversation', match: (e) => e.altKey && !mod(e) && e.key === 'ArrowUp' },
  {
    action: 'toggleSidebar',
    keys: 'Ctrl+B',
    label: 'Show or hide the sidebar',
    match: (e) => mod(e) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'b',
  },
  { action: 'help', keys: 'Ctrl+/', label: 'This list of shortcuts', match: (e) => mod(e) && !e.altKey && e.key === '/' },
];

/** Keys the conversation list takes while one of its rows has the focus (ConversationItem): shown in the list, not matched here. */
export const listKeys: { keys: string; label: string }[] = [
  { keys: '↑ ↓ Home End', label: 'Move between conversations in the sidebar' },
  { keys: '→ ←', label: "Reach a conversation's pin, rename and delete buttons" },
  { keys: 'F2', label: 'Rename the conversation' },
  { keys: 'Delete', label: 'Delete the conversation (asks first)' },
];

/** The action a key press asks for, or null. */
export function shortcutFor(e: KeyboardEvent): ShortcutAction | null {
  if (e.isComposing) return null;
  return shortcuts.find((s) => s.match(e))?.action ?? null;
}

/** The conversation after (step 1) or before (step -1) current in list; the first when none is open. */
export function neighbour(ids: number[], current: number | null, step: 1 | -1): number | null {
  if (ids.length === 0) return null;
  const i = current === null ? -1 : ids.indexOf(current);
  if (i < 0) return ids[0];
  const j = i + step;
  return j >= 0 && j < ids.length ? ids[j] : null;
}
