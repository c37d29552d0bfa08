import { describe, expect, it } from 'vitest';
import { dateGroup, groupByDate, passagePlace, snippetParts } from './search';

describe('search helpers', () => {
  it('splits a snippet into marked parts without ever producing markup', () => {
    expect(snippetParts('bake \u0002bread\u0003 <b>now</b> \u0002hot\u0003')).toEqual([
      { text: 'bake ', hit: false },
      { text: 'bread', hit: true },
      { text: ' <b>now</b> ', hit: false },
      { text: 'hot', hit: true },
    ]);
    expect(snippetParts('')).toEqual([]);
  });

  it('names a passage by pages, section or number', () => {
    expect(passagePlace({ page_start: 3, page_end: 4, section: 'x', chunk_ord: 0 })).toBe('pp. 3–4');
    expect(passagePlace({ page_start: 5, page_end: 5, section: '', chunk_ord: 0 })).toBe('p. 5');
    expect(passagePlace({ page_start: 0, page_end: 0, section: 'Setup', chunk_ord: 0 })).toBe('§ Setup');
    expect(passagePlace({ page_start: 0, page_end: 0, section: '', chunk_ord: 6 })).toBe('passage 7');
  });

  it('groups conversations by day, pinned first', () => {
    const now = new Date(2026, 11, 1, 15, 0).getTime();
    const at = (d: number, h = 12) => new Date(2026, 11, d, h).getTime();
    expect(dateGroup(at(1, 1), now)).toBe('Today');
    expect(dateGroup(at(0, 23), now)).toBe('Yesterday'); // November 30
    expect(dateGroup(at(-4), now)).toBe('Last 7 days'); // November 26
    expect(dateGroup(at(-10), now)).toBe('Older'); // November 20
    const groups = groupByDate(
      [
        { id: 1, updated_at: at(1), pinned: false },
        { id: 2, updated_at: at(-10), pinned: true },
        { id: 3, updated_at: at(-3) },
        { id: 4, updated_at: at(1, 2) },
      ],
      now,
    );
    expect(groups.map((g) => [g.group, g.items.map((i) => i.id)])).toEqual([
      ['Pinned', [2]],
      ['Today', [1, 4]],
      ['Last 7 days', [3]],
    ]);
  });
});
