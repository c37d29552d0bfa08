// Finding a cited passage on a PDF page. Chapel's own reader extracted the
// passage's text; pdf.js gives the page's text as items (runs of text as the
// page draws them). The two rarely agree character for character: lines
// break and hyphenate differently, ligatures are one glyph or two letters,
// accents are composed or not, spaces come and go. So both are compared as
// letters and digits only (NFKD, marks dropped, lower case), and when the
// whole passage is not found in one piece its first and last stretches that
// are found mark where it starts and ends.

/** Text reduced to lower-case letters and digits, with where each came from. */
export interface Folded {
  text: string;
  /** For each UTF-16 unit of text: the index in the source of the character it came from. */
  from: number[];
  /** For each UTF-16 unit of text: the source character's length (1, or 2 for a surrogate pair). */
  len: number[];
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const MARK = /\p{M}/u;

/** Fold s to lower-case letters and digits (NFKD, marks dropped), keeping where each came from. */
export function fold(s: string): Folded {
  const out: Folded = { text: '', from: [], len: [] };
  let i = 0;
  for (const ch of s) {
    for (const d of ch.normalize('NFKD')) {
      if (MARK.test(d) || !LETTER_OR_DIGIT.test(d)) continue;
      const lower = d.toLowerCase();
      out.text += lower;
      for (let k = 0; k < lower.length; k++) {
        out.from.push(i);
        out.len.push(ch.length);
      }
    }
    i += ch.length;
  }
  return out;
}

/** The length of the stretches compared when the whole passage is not found in one piece (then half as long). */
const WINDOW = 24;
/** A passage (or stretch) shorter than this is not looked for: a few letters match anywhere. */
const MIN_WINDOW = 8;

/**
 * Where needle is in hay (both folded): [start, end), or null. The whole
 * needle first; else from the first of its stretches found in hay to the end
 * of the last one found after it, each grown while the letters next to it
 * agree. A span much longer than the needle means the last stretch was found
 * elsewhere: then only the first one counts.
 */
export function locate(needle: string, hay: string): [number, number] | null {
  if (needle.length < MIN_WINDOW || !hay) return null;
  const exact = hay.indexOf(needle);
  if (exact >= 0) return [exact, exact + needle.length];
  return locateBy(needle, hay, Math.min(WINDOW, needle.length)) ?? locateBy(needle, hay, Math.min(WINDOW / 2, needle.length));
}

/** Where each stretch of length w of a needle of length n starts: every w/2, and the last one. */
function offsets(n: number, w: number): number[] {
  const step = Math.max(1, Math.floor(w / 2));
  const out: number[] = [];
  for (let o = 0; o + w <= n; o += step) out.push(o);
  if (out[out.length - 1] !== n - w) out.push(n - w);
  return out;
}

function locateBy(needle: string, hay: string, w: number): [number, number] | null {
  if (w < MIN_WINDOW) return null;
  const offs = offsets(needle.length, w);
  let start = -1;
  let from = 0;
  for (const o of offs) {
    const i = hay.indexOf(needle.slice(o, o + w));
    if (i >= 0) {
      [start, from] = [i, o];
      break;
    }
  }
  if (start < 0) return null;
  while (start > 0 && from > 0 && hay[start - 1] === needle[from - 1]) {
    start--;
    from--;
  }
  const grow = (h: number, n: number) => {
    while (h < hay.length && n < needle.length && hay[h] === needle[n]) [h, n] = [h + 1, n + 1];
    return h;
  };
  const firstEnd = grow(start, from);
  let end = firstEnd;
  for (let k = offs.length - 1; k >= 0 && offs[k] + w > from + (firstEnd - start); k--) {
    const i = hay.indexOf(needle.slice(offs[k], offs[k] + w), start);
    if (i >= 0) {
      end = grow(i, offs[k]);
      break;
    }
  }
  if (end - start > needle.length * 1.5 + 2 * WINDOW) end = firstEnd;
  return [start, end];
}

/** Characters [start, end) of text item item to highlight. */
export interface ItemRange {
  item: number;
  start: number;
  end: number;
}

/**
 * The parts of a page's text items (in order) that show passage: for each
 * item touched, the characters from the first to the last that match. Empty
 * when the passage is not found on the page.
 */
export function highlightRanges(passage: string, items: readonly string[]): ItemRange[] {
  const needle = fold(passage).text;
  let hay = '';
  const item: number[] = [];
  const from: number[] = [];
  const len: number[] = [];
  items.forEach((s, n) => {
    const f = fold(s);
    hay += f.text;
    for (let k = 0; k < f.text.length; k++) {
      item.push(n);
      from.push(f.from[k]);
      len.push(f.len[k]);
    }
  });
  const at = locate(needle, hay);
  if (!at) return [];
  const out: ItemRange[] = [];
  for (let k = at[0]; k < at[1]; k++) {
    const last = out[out.length - 1];
    const end = from[k] + len[k];
    if (last && last.item === item[k]) last.end = Math.max(last.end, end);
    else out.push({ item: item[k], start: from[k], end });
  }
  return out;
}

/** The part of a passage on a page (the passage's parts as Go split them), or ''. */
export function partOnPage(pages: readonly { page: number; text: string }[], page: number): string {
  return pages
    .filter((p) => p.page === page)
    .map((p) => p.text)
    .join('');
}
