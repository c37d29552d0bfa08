import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
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
    expect(toggle.textContent).toBe(`Show all (${text.split('\n').length} ${text.split('\n').length === 1 ? 'line' : 'lines'})`);
    await fireEvent.click(toggle);
    expect(bubble.classList.contains('folded')).toBe(false);
    expect(toggle.textContent).toBe('Show less');
    await fireEvent.click(toggle);
    expect(bubble.classList.contains('folded')).toBe(true);
  });
});
