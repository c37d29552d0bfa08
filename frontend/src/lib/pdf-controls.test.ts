import { describe, expect, it } from 'vitest';
import { pageKey, zoomIn, zoomLabel, zoomOut, ZOOMS } from './pdf-controls';

describe('zoom', () => {
  it.each([
    [1, 1.25, 0.75],
    [0.5, 0.75, 0.5],
    [3, 3, 2],
    [1.1, 1.25, 1],
  ])('from %d: in %d, out %d', (z, up, down) => {
    expect(zoomIn(z)).toBe(up);
    expect(zoomOut(z)).toBe(down);
  });

  it('fits the width at 1, between the smallest and largest', () => {
    expect(ZOOMS).toContain(1);
    expect(zoomLabel(1)).toBe('Fit width');
    expect(zoomLabel(1.5)).toBe('150%');
    expect(zoomLabel(0.75)).toBe('75%');
  });
});

describe('pageKey', () => {
  it.each([
    ['PageUp', 'prev'],
    ['PageDown', 'next'],
    ['+', 'in'],
    ['=', 'in'],
    ['-', 'out'],
    ['0', 'fit'],
    ['ArrowDown', null],
    ['a', null],
  ])('%s → %s', (key, want) => {
    expect(pageKey(key)).toBe(want);
  });
});
