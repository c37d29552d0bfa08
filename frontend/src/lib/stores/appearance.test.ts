import { describe, expect, it, vi } from 'vitest';
import { AppearanceStore, type ThemeTarget } from './appearance.svelte';
import { ToastStore } from './toasts.svelte';
import { installFakeWails, settle } from '../../test/fakes';

/** A page root and a system preference the test controls. */
function fakeTarget(dark = false) {
  const root = document.createElement('html');
  const listeners = new Set<(e: MediaQueryListEvent) => void>();
  const cache = new Map<string, string>();
  const media = {
    matches: dark,
    addEventListener: (_: string, cb: (e: MediaQueryListEvent) => void) => listeners.add(cb),
    removeEventListener: (_: string, cb: (e: MediaQueryListEvent) => void) => listeners.delete(cb),
  };
  const target: ThemeTarget = {
    root,
    media: media as unknown as ThemeTarget['media'],
    cache: { setItem: (k: string, v: string) => void cache.set(k, v) },
  };
  const systemTurns = (d: boolean) => listeners.forEach((cb) => cb({ matches: d } as MediaQueryListEvent));
  return { target, root, cache, listeners, systemTurns };
}

function setup(stored = { theme: 'system', scheme: 'light', notify_summaries: true }) {
  const w = installFakeWails();
  w.app.GetAppearance.mockResolvedValue(stored);
  const notes = new ToastStore();
  const t = fakeTarget();
  return { w, notes, t, store: new AppearanceStore(notes, () => t.target) };
}

describe('appearance: the theme', () => {
  it.each([
    { choice: 'dark' as const, want: 'dark' },
    { choice: 'light' as const, want: 'light' },
  ])('choosing $choice shows it at once and stores it', async ({ choice, want }) => {
    const { w, t, store } = setup();
    const off = store.init();
    await settle();
    const saved = store.setTheme(choice);
    expect(t.root.dataset.theme).toBe(want); // before the Go side answers
    expect(await saved).toBe(true);
    expect(w.app.SaveAppearance).toHaveBeenCalledWith({ theme: choice, scheme: expect.any(String), notify_summaries: true });
    expect(store.theme).toBe(choice);
    expect(t.cache.get('chapel.scheme')).toBe(want);
    off();
  });

  it('follows the stored choice at start, and the scheme Go resolved for "system"', async () => {
    const { t, store } = setup({ theme: 'system', scheme: 'dark', notify_summaries: false });
    store.init();
    await settle();
    expect(t.root.dataset.theme).toBe('dark');
    expect(store.notifySummaries).toBe(false);
  });

  it('follows the system while the choice is "system", not after a manual choice', async () => {
    const { t, store } = setup();
    const off = store.init();
    await settle();
    t.systemTurns(true);
    expect(t.root.dataset.theme).toBe('dark');
    await store.setTheme('light');
    t.systemTurns(true);
    expect(t.root.dataset.theme).toBe('light');
    off();
    expect(t.listeners.size).toBe(0);
  });

  it('a failed save says so and goes back to what was stored', async () => {
    const { w, notes, t, store } = setup();
    store.init();
    await settle();
    w.app.SaveAppearance.mockRejectedValueOnce({ code: 'unavailable', message: 'database closed' });
    const push = vi.spyOn(notes, 'push');
    expect(await store.setTheme('dark')).toBe(false);
    expect(store.theme).toBe('system');
    expect(t.root.dataset.theme).toBe('light');
    expect(push).toHaveBeenCalled();
  });
});

describe('appearance: summary notifications', () => {
  it('turning them off is stored with the theme unchanged', async () => {
    const { w, store } = setup({ theme: 'dark', scheme: 'dark', notify_summaries: true });
    store.init();
    await settle();
    expect(await store.setNotifySummaries(false)).toBe(true);
    expect(w.app.SaveAppearance).toHaveBeenCalledWith({ theme: 'dark', scheme: 'dark', notify_summaries: false });
    expect(store.notifySummaries).toBe(false);
  });
});
