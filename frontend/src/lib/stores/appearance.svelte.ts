import { api } from '../api';
import type { Appearance, ThemeChoice } from '../types';
import { toasts, type ToastStore } from './toasts.svelte';

type Scheme = Appearance['scheme'];

/** Where the page's theme goes (the document's root) and the system's preference: the browser's, in tests a fake. */
export interface ThemeTarget {
  root: HTMLElement;
  media: Pick<MediaQueryList, 'matches' | 'addEventListener' | 'removeEventListener'> | null;
  cache: Pick<Storage, 'setItem'> | null;
}

function browserTarget(): ThemeTarget {
  let cache: Storage | null = null;
  try {
    cache = window.localStorage;
  } catch {
    /* no storage (a private window): the Go side has the choice */
  }
  return {
    root: document.documentElement,
    media: typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null,
    cache,
  };
}

/**
 * Settings → Appearance: the theme (follow the system, light, dark) and
 * whether a long summary ends with a desktop notification. A change applies
 * at once and is stored; index.html paints the stored theme at the next
 * start before any of this runs.
 */
export class AppearanceStore {
  theme = $state<ThemeChoice>('system');
  scheme = $state<Scheme>('light');
  notifySummaries = $state(true);
  saving = $state(false);

  constructor(
    private readonly notify: ToastStore = toasts,
    private readonly target: () => ThemeTarget = browserTarget,
  ) {}

  /** Take what index.html painted, then the stored values; follow the system's changes. Returns the unsubscribe. */
  init(): () => void {
    const t = this.target();
    const painted = t.root.dataset.theme;
    if (painted === 'dark' || painted === 'light') this.scheme = painted;
    const onChange = (e: MediaQueryListEvent) => {
      if (this.theme === 'system') this.apply(e.matches ? 'dark' : 'light');
    };
    t.media?.addEventListener('change', onChange);
    void this.load();
    return () => t.media?.removeEventListener('change', onChange);
  }

  async load(): Promise<void> {
    try {
      this.take(await api.getAppearance());
    } catch (e) {
      this.notify.error(e, "Couldn't load the appearance settings");
    }
  }

  setTheme(theme: ThemeChoice): Promise<boolean> {
    const before = this.current();
    // Shown at once; the Go side then says which scheme "system" is.
    if (theme !== 'system') this.apply(theme);
    return this.save({ ...before, theme }, before);
  }

  setNotifySummaries(on: boolean): Promise<boolean> {
    const before = this.current();
    return this.save({ ...before, notify_summaries: on }, before);
  }

  private current(): Appearance {
    return { theme: this.theme, scheme: this.scheme, notify_summaries: this.notifySummaries };
  }

  /** Store a; on failure go back to before. */
  private async save(a: Appearance, before: Appearance): Promise<boolean> {
    this.theme = a.theme;
    this.notifySummaries = a.notify_summaries;
    this.saving = true;
    try {
      this.take(await api.saveAppearance(a));
      return true;
    } catch (e) {
      this.take(before);
      this.notify.error(e, "Couldn't save the appearance settings");
      return false;
    } finally {
      this.saving = false;
    }
  }

  private take(a: Appearance): void {
    this.theme = a.theme;
    this.notifySummaries = a.notify_summaries;
    this.apply(a.scheme === 'dark' ? 'dark' : 'light');
  }

  private apply(scheme: Scheme): void {
    this.scheme = scheme;
    const t = this.target();
    t.root.dataset.theme = scheme;
    try {
      t.cache?.setItem('chapel.scheme', scheme); // index.html's fallback when Go does not answer
    } catch {
      /* storage full or refused: the Go side has the choice */
    }
  }
}

export const appearance = new AppearanceStore();
