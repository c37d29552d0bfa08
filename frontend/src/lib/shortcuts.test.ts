import { describe, expect, it } from 'vitest';
import { neighbour, shortcutFor, shortcuts } from './shortcuts';

const key = (k: string, mods: Partial<KeyboardEvent> = {}) => new KeyboardEvent('keydown', { key: k, ...mods });

describe('shortcuts', () => {
  it.each([
    [key('n', { ctrlKey: true }), 'newChat'],
    [key('K', { metaKey: true }), 'search'],
    [key('Escape'), 'stop'],
    [key(',', { ctrlKey: true }), 'settings'],
    [key('ArrowDown', { altKey: true }), 'next'],
    [key('ArrowUp', { altKey: true }), 'previous'],
    [key('b', { ctrlKey: true }), 'toggleSidebar'],
    [key('/', { ctrlKey: true }), 'help'],
    [key('n'), null],
    [key('k', { ctrlKey: true, shiftKey: true }), null],
    [key('Escape', { ctrlKey: true }), null],
  ])('%#', (e, want) => {
    expect(shortcutFor(e)).toBe(want);
  });

  it('every shortcut is listed with its keys and a label', () => {
    for (const s of shortcuts) expect(s.keys && s.label).toBeTruthy();
    expect(new Set(shortcuts.map((s) => s.action)).size).toBe(shortcuts.length);
  });

  it('finds the next and previous conversation', () => {
    expect(neighbour([5, 4, 3], 4, 1)).toBe(3);
    expect(neighbour([5, 4, 3], 4, -1)).toBe(5);
    expect(neighbour([5, 4, 3], 3, 1)).toBeNull();
    expect(neighbour([5, 4, 3], null, 1)).toBe(5);
    expect(neighbour([], null, 1)).toBeNull();
  });
});
