import { afterEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import Toasts from './Toasts.svelte';
import { toasts } from '../stores/toasts.svelte';

afterEach(() => toasts.clear());

// A narrow window piles the toasts (CSS): the newest, the last child, is the
// one in front. Every toast stays in the live region, so each is announced
// when it comes, whether it is in front or behind.
describe('Toasts', () => {
  it('keeps every toast in one polite live region, oldest first, newest last', () => {
    render(Toasts);
    toasts.info('Added 2 documents');
    toasts.error(new Error('disk full'), "Couldn't export");
    toasts.success('Exported');
    flushSync();
    const items = screen.getAllByTestId('toast');
    expect(items.map((t) => t.textContent?.trim())).toEqual(['Added 2 documents', "Couldn't export: disk full", 'Exported']);
    expect(items.map((t) => t.getAttribute('role'))).toEqual(['status', 'alert', 'status']);
    const region = items[0].parentElement!;
    expect(region.getAttribute('aria-live')).toBe('polite');
    expect(items.every((t) => t.parentElement === region)).toBe(true);
    expect(region.lastElementChild).toBe(items[2]);
  });

  it('shows four at most: a fifth drops the oldest', () => {
    render(Toasts);
    for (const n of [1, 2, 3, 4, 5]) toasts.info(`Toast ${n}`);
    flushSync();
    expect(screen.getAllByTestId('toast').map((t) => t.textContent?.trim())).toEqual(['Toast 2', 'Toast 3', 'Toast 4', 'Toast 5']);
  });

  it('Dismiss on the front toast brings the one behind it to the front', async () => {
    render(Toasts);
    toasts.info('First');
    toasts.info('Second');
    flushSync();
    const front = screen.getAllByTestId('toast').at(-1)!;
    await fireEvent.click(front.querySelector('button')!);
    const left = screen.getAllByTestId('toast');
    expect(left.map((t) => t.textContent?.trim())).toEqual(['First']);
    expect(left[0].parentElement!.lastElementChild).toBe(left[0]);
  });
});
