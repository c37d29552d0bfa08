import { describe, expect, it } from 'vitest';
import { fold, highlightRanges, locate, partOnPage } from './passage-match';

/** The highlighted text of each item touched, joined with '|'. */
function shown(passage: string, items: string[]): string {
  return highlightRanges(passage, items)
    .map((r) => items[r.item].slice(r.start, r.end))
    .join('|');
}

describe('fold', () => {
  it.each([
    ['Hello, World!', 'helloworld'],
    ['infor-\nmation', 'information'],
    ['ﬁnal eﬀort', 'finaleffort'],
    ['Café naïve', 'cafenaive'],
    ['soft\u00adhyphen', 'softhyphen'],
    ['  12 × 3 = 36 ', '12336'],
    ['Ünïcödé 𝐀', 'unicodea'],
    ['', ''],
  ])('%j folds to %j', (s, want) => {
    expect(fold(s).text).toBe(want);
  });

  it('keeps where each letter came from', () => {
    const f = fold('a b-ﬁ𝐀');
    expect(f.text).toBe('abfia');
    expect(f.from).toEqual([0, 2, 4, 4, 5]);
    expect(f.len).toEqual([1, 1, 1, 1, 2]);
  });
});

describe('locate', () => {
  const page = fold('The wheat harvest was large this year. Cattle graze in the valleys in summer. The herd grew to ninety cows.').text;
  it.each([
    ['the whole passage', 'Cattle graze in the valleys', 'cattlegrazeinthevalleys'],
    [
      'across a changed middle',
      'The wheat harvest was large this year. [3] Cattle graze in the valleys in summer.',
      'thewheatharvestwaslargethisyearcattlegrazeinthevalleysinsummer',
    ],
    ['its start missing from the page', 'Introduction. The wheat harvest was large this year.', 'thewheatharvestwaslargethisyear'],
    ['its end missing from the page', 'The herd grew to ninety cows. Page 3 follows with the weather', 'theherdgrewtoninetycows'],
  ])('finds %s', (_name, passage, want) => {
    const at = locate(fold(passage).text, page);
    expect(at).not.toBeNull();
    expect(page.slice(at![0], at![1])).toBe(want);
  });

  it.each([
    ['text from another page', 'Rain fell early in May and the river rose.'],
    ['a few letters only', 'the'],
    ['nothing', ''],
  ])('finds nothing for %s', (_name, passage) => {
    expect(locate(fold(passage).text, page)).toBeNull();
  });

  it('keeps the first stretch when the last one is far away', () => {
    const hay = 'alphabetagammadeltaepsilon' + 'x'.repeat(400) + 'zetaetathetaiotakappalambdamu';
    const needle = 'alphabetagammadeltaepsilon' + 'q'.repeat(10) + 'zetaetathetaiotakappalambdamu';
    expect(locate(needle, hay)).toEqual([0, 26]);
  });
});

describe('highlightRanges', () => {
  it('marks the items the passage runs through, partly at its ends', () => {
    const items = ['Farm report, page one.', 'Wheat and barley grow in the ', 'northern fields. The wheat', ' harvest was large.'];
    expect(shown('barley grow in the northern fields', items)).toBe('barley grow in the|northern fields');
  });

  it('is tolerant of hyphenation, ligatures and spacing', () => {
    const items = ['The harvest was of', 'ﬁne quality and the infor-', 'mation   gathered', 'was kept.'];
    expect(shown('The harvest was of fine quality and the information gathered', items)).toBe(
      'The harvest was of|ﬁne quality and the infor|mation   gathered',
    );
  });

  it('finds nothing on a page without the passage', () => {
    expect(highlightRanges('Rain fell early in May and the river rose.', ['Cattle graze in the valleys.'])).toEqual([]);
    expect(highlightRanges('anything at all here', [])).toEqual([]);
    expect(highlightRanges('', ['Cattle graze in the valleys.'])).toEqual([]);
  });

  it('skips items with no letters, and gives item indices of the page', () => {
    const r = highlightRanges('one two three', ['zero', ' ', 'one two', '', 'three', 'four']);
    expect(r).toEqual([
      { item: 2, start: 0, end: 7 },
      { item: 4, start: 0, end: 5 },
    ]);
  });
});

describe('partOnPage', () => {
  const pages = [
    { page: 4, text: 'end of four' },
    { page: 5, text: 'all of five' },
  ];
  it.each([
    [4, 'end of four'],
    [5, 'all of five'],
    [6, ''],
  ])('page %i', (page, want) => {
    expect(partOnPage(pages, page)).toBe(want);
  });
});
