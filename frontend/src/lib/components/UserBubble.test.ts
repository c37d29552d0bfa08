import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import UserBubble from './UserBubble.svelte';
import { isLong } from '../message-actions';

describe('your message, folded when long', () => {
  it.each([
    { name: 'a line', text: 'Hello', long: false },
    { name: 'fourteen lines', text: Array(14).fill('x').join('\n'), long: false },
    { name: 'fifteen lines', text: Array(15).fill('x').join('\n'), long: true },
    { name: 'a long paragraph', text: 'word '.repeat(400), long: true },
  ])('$name', async ({ text, long }) => {
    expect(isLong(text)).toBe(long);
    render(UserBubble, { text });
    const bubble = screen.getByTestId('user-bubble');
    expect(bubble.textContent).toBe(text); // all of it is there, folded or not
    expect(bubble.classList.contains('folded')).toBe(long);
    const toggle = screen.queryByTestId('user-bubble-toggle');
    expect(!!toggle).toBe(long);
    if (!toggle) return;
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    const lines = text.split('\n').length;
    expect(toggle.textContent).toBe(lines > 1 ? `Show all (${lines} lines)` : 'Show all');
    await fireEvent.click(toggle);
    expect(bubble.classList.contains('folded')).toBe(false);
    expect(toggle.textContent).toBe('Show less');
    await fireEvent.click(toggle);
    expect(bubble.classList.contains('folded')).toBe(true);
  });

  it('a long text that fits the folded height once shown is not folded', async () => {
    const proto = HTMLElement.prototype;
    const sizes = { clientHeight: 270, scrollHeight: 240 };
    const saved = Object.fromEntries(Object.keys(sizes).map((k) => [k, Object.getOwnPropertyDescriptor(proto, k)]));
    for (const [k, v] of Object.entries(sizes)) Object.defineProperty(proto, k, { configurable: true, get: () => v });
    try {
      render(UserBubble, { text: 'word '.repeat(400) });
      await tick();
      expect(screen.getByTestId('user-bubble').classList.contains('folded')).toBe(false);
      expect(screen.queryByTestId('user-bubble-toggle')).toBeNull();
    } finally {
      for (const [k, d] of Object.entries(saved)) {
        if (d) Object.defineProperty(proto, k, d);
        else delete (proto as unknown as Record<string, unknown>)[k];
      }
    }
  });
});
