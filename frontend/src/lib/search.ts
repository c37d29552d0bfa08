/** A search snippet as plain-text parts, the matched words marked (Go's store.HitStart/HitEnd). */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

const START = '\u0002';
const END = '\u0003';

export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let hit = false;
  let text = '';
  const push = () => {
    if (text) parts.push({ text, hit });
    text = '';
  };
  for (const ch of snippet) {
    if (ch === START || ch === END) {
      push();
      hit = ch === START;
    } else text += ch;
  }
  push();
  return parts;
}

/** Where a passage hit is: "pp. 3–4", "p. 5", "§ Setup" or "passage 7". */
export function passagePlace(h: { page_start: number; page_end: number; section: string; chunk_ord: number }): string {
  if (h.page_start > 0 && h.page_end > h.page_start) return `pp. ${h.page_start}–${h.page_end}`;
  if (h.page_start > 0) return `p. ${h.page_start}`;
  if (h.section) return `§ ${h.section}`;
  return `passage ${h.chunk_ord + 1}`;
}

/** The sidebar's date groups, newest first. */
export type DateGroup = 'Pinned' | 'Today' | 'Yesterday' | 'Last 7 days' | 'Older';

export function dateGroup(updatedAt: number, now: number, pinned = false): DateGroup {
  if (pinned) return 'Pinned';
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  const today = start.getTime();
  const day = 24 * 60 * 60 * 1000;
  if (updatedAt >= today) return 'Today';
  if (updatedAt >= today - day) return 'Yesterday';
  if (updatedAt >= today - 6 * day) return 'Last 7 days';
  return 'Older';
}

/** Items grouped by dateGroup, groups in order, items in their given order. */
export function groupByDate<T extends { updated_at: number; pinned?: boolean }>(
  items: T[],
  now: number,
): { group: DateGroup; items: T[] }[] {
  const order: DateGroup[] = ['Pinned', 'Today', 'Yesterday', 'Last 7 days', 'Older'];
  const by = new Map<DateGroup, T[]>();
  for (const it of items) {
    const g = dateGroup(it.updated_at, now, !!it.pinned);
    by.set(g, [...(by.get(g) ?? []), it]);
  }
  return order.filter((g) => by.has(g)).map((group) => ({ group, items: by.get(group)! }));
}
