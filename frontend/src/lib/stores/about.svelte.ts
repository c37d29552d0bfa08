import { api } from '../api';
import type { AboutInfo } from '../types';
import { toasts, type ToastStore } from './toasts.svelte';

/** The About box: open or closed, and what it shows (read when it opens). */
export class AboutStore {
  open = $state(false);
  info = $state<AboutInfo | null>(null);

  constructor(private readonly notify: ToastStore = toasts) {}

  async show(): Promise<void> {
    this.open = true;
    try {
      this.info = await api.about();
    } catch (e) {
      this.notify.error(e, "Couldn't read what this installation is");
    }
  }

  hide(): void {
    this.open = false;
  }
}

export const about = new AboutStore();
