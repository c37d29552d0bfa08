import { toApiError } from '../api';

export type ToastKind = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

export class ToastStore {
  items = $state<Toast[]>([]);
  private nextId = 1;
  private timers = new Map<number, ReturnType<typeof setTimeout>>();

  push(kind: ToastKind, text: string, timeoutMs = kind === 'error' ? 8000 : 4000): number {
    // Collapse an identical toast that is still visible instead of stacking copies.
    const same = this.items.find((t) => t.kind === kind && t.text === text);
    if (same) this.dismiss(same.id);
    const id = this.nextId++;
    this.items.push({ id, kind, text });
    if (this.items.length > 4) this.dismiss(this.items[0].id);
    if (timeoutMs > 0)
      this.timers.set(
        id,
        setTimeout(() => this.dismiss(id), timeoutMs),
      );
    return id;
  }

  info(text: string): number {
    return this.push('info', text);
  }

  success(text: string): number {
    return this.push('success', text);
  }

  /** Show an error toast; `context` says what was being done ("Couldn't rename"). */
  error(e: unknown, context?: string): number {
    const msg = toApiError(e).message;
    return this.push('error', context ? `${context}: ${msg}` : msg);
  }

  dismiss(id: number): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
    this.items = this.items.filter((x) => x.id !== id);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.items = [];
  }
}

export const toasts = new ToastStore();
