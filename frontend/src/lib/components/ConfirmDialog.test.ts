import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import ConfirmDialog from './ConfirmDialog.svelte';

describe('ConfirmDialog', () => {
  it.each([
    [true, 'confirm-cancel'],
    [false, 'confirm'],
  ])('danger %s focuses %s', async (danger, want) => {
    render(ConfirmDialog, {
      props: { open: true, title: 'Delete?', message: 'Gone for good.', danger, onconfirm: vi.fn(), oncancel: vi.fn() },
    });
    await tick();
    await Promise.resolve();
    expect(document.activeElement).toBe(screen.getByTestId(want));
  });
});
